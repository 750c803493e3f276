CREATE SCHEMA app;

CREATE TABLE app.items (id int PRIMARY KEY, name text NOT NULL, price numeric(10,2) NOT NULL, active boolean NOT NULL DEFAULT true);

CREATE VIEW app.v_items AS SELECT id, name, price FROM app.items;
CREATE MATERIALIZED VIEW app.mv_items AS SELECT id, price FROM app.v_items;
