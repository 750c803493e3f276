CREATE SCHEMA app;

CREATE FUNCTION app.pad(s text, n int DEFAULT 10) RETURNS text LANGUAGE sql AS 'SELECT lpad(s, n)';
