CREATE SCHEMA app;

CREATE TABLE app.items (id int PRIMARY KEY, name text);
CREATE FUNCTION app.all_items() RETURNS SETOF app.items LANGUAGE sql STABLE AS 'SELECT * FROM app.items';
