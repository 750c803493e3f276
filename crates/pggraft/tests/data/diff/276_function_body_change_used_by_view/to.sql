CREATE SCHEMA app;

CREATE TABLE app.items (id int PRIMARY KEY, price numeric);
CREATE FUNCTION app.with_tax(p numeric) RETURNS numeric LANGUAGE sql IMMUTABLE AS 'SELECT round(p * 1.2, 2)';
CREATE VIEW app.gross AS SELECT id, app.with_tax(price) AS gross FROM app.items;
