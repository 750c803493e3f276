CREATE SCHEMA app;

CREATE FUNCTION app.f() RETURNS int LANGUAGE sql SET search_path = app, pg_temp AS 'SELECT 1';
