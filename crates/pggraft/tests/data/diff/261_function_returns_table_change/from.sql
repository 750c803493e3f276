CREATE SCHEMA app;

CREATE TABLE app.items (id int PRIMARY KEY, name text);
CREATE FUNCTION app.list_items() RETURNS TABLE (id int) LANGUAGE sql AS 'SELECT id FROM app.items';
