CREATE SCHEMA app;

CREATE FUNCTION app.fmt(x int) RETURNS text LANGUAGE sql AS 'SELECT x::text';
