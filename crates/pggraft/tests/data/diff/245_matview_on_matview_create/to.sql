CREATE SCHEMA app;

CREATE TABLE app.items (id int PRIMARY KEY, name text NOT NULL, price numeric(10,2) NOT NULL, active boolean NOT NULL DEFAULT true);

CREATE MATERIALIZED VIEW app.mv1 AS SELECT id, price FROM app.items;
CREATE MATERIALIZED VIEW app.mv2 AS SELECT sum(price) AS total FROM app.mv1;
