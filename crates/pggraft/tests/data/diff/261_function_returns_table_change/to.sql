CREATE SCHEMA app;

CREATE TABLE app.items (id int PRIMARY KEY, name text);
CREATE FUNCTION app.list_items() RETURNS TABLE (id int, name text) LANGUAGE sql AS 'SELECT id, name FROM app.items';
