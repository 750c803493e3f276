CREATE SCHEMA app;

CREATE TABLE app.items (id int PRIMARY KEY, name text NOT NULL, price numeric(10,2) NOT NULL, active boolean NOT NULL DEFAULT true);

CREATE VIEW app.item_list AS SELECT id, name FROM app.items;
COMMENT ON VIEW app.item_list IS 'Public item list';
COMMENT ON COLUMN app.item_list.name IS 'Display name';
GRANT SELECT ON app.item_list TO app_reader;
