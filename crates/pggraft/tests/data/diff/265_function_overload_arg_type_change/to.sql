CREATE SCHEMA app;

CREATE FUNCTION app.fmt(x bigint) RETURNS text LANGUAGE sql AS 'SELECT x::text';
