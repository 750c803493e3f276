CREATE SCHEMA app;

CREATE TABLE app.items (id int PRIMARY KEY, name text NOT NULL, price numeric(10,2) NOT NULL, active boolean NOT NULL DEFAULT true);

CREATE MATERIALIZED VIEW app.price_stats AS SELECT count(*) AS n, avg(price) AS avg_price FROM app.items;
