CREATE SCHEMA app;

CREATE FUNCTION app.pad(s text, n int DEFAULT 10, fill text DEFAULT ' ') RETURNS text LANGUAGE sql AS 'SELECT lpad(s, n, fill)';
