CREATE SCHEMA app;

CREATE FUNCTION app.pad(s text, n int) RETURNS text LANGUAGE sql AS 'SELECT lpad(s, n)';
