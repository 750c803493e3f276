CREATE SCHEMA app;

CREATE FUNCTION app.clamp(x int) RETURNS int LANGUAGE sql IMMUTABLE AS 'SELECT greatest(0, least(100, x))';
