CREATE SCHEMA app;

CREATE TABLE app.items (id int PRIMARY KEY, name text NOT NULL, price numeric(10,2) NOT NULL, active boolean NOT NULL DEFAULT true);

CREATE FUNCTION app.with_tax(p numeric) RETURNS numeric LANGUAGE sql IMMUTABLE AS 'SELECT round(p * 1.19, 2)';
CREATE VIEW app.gross_prices AS SELECT id, app.with_tax(price) AS gross FROM app.items;
