CREATE SCHEMA app;

CREATE TABLE app.items (id int PRIMARY KEY, name text NOT NULL, price numeric(10,2) NOT NULL, active boolean NOT NULL DEFAULT true);

CREATE VIEW app.v_base AS SELECT id, name, price::float8 AS price FROM app.items;
CREATE VIEW app.v_top AS SELECT name, price FROM app.v_base WHERE price > 100;
