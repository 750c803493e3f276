CREATE SCHEMA app;

CREATE TABLE app.items (id int PRIMARY KEY, name text NOT NULL, price numeric(10,2) NOT NULL, active boolean NOT NULL DEFAULT true);

CREATE MATERIALIZED VIEW app.item_search AS SELECT id, lower(name) AS name_lc FROM app.items;
CREATE UNIQUE INDEX item_search_id_idx ON app.item_search (id);
