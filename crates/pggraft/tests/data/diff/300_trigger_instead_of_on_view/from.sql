CREATE SCHEMA app;

CREATE TABLE app.items (id int PRIMARY KEY, name text);
CREATE VIEW app.item_names AS SELECT id, name FROM app.items;
