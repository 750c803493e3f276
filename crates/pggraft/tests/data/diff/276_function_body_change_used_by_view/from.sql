CREATE SCHEMA app;

CREATE TABLE app.items (id int PRIMARY KEY, price numeric);
CREATE FUNCTION app.with_tax(p numeric) RETURNS numeric LANGUAGE sql IMMUTABLE AS 'SELECT p * 1.19';
CREATE VIEW app.gross AS SELECT id, app.with_tax(price) AS gross FROM app.items;
