CREATE SCHEMA app;

CREATE TABLE app.items (id int PRIMARY KEY, name text NOT NULL, price numeric(10,2) NOT NULL, active boolean NOT NULL DEFAULT true);

CREATE SCHEMA other;
CREATE VIEW other.items_report AS SELECT count(*) AS n, sum(price) AS total FROM app.items;
