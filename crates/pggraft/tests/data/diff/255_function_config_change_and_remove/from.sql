CREATE SCHEMA app;

CREATE FUNCTION app.f() RETURNS int LANGUAGE sql SET work_mem = '64MB' SET search_path = app AS 'SELECT 1';
