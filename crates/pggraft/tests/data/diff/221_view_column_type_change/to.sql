CREATE SCHEMA app;

CREATE TABLE app.items (id int PRIMARY KEY, name text NOT NULL, price numeric(10,2) NOT NULL, active boolean NOT NULL DEFAULT true);

CREATE VIEW app.item_prices AS SELECT id, price::float8 AS price FROM app.items;
