CREATE SCHEMA app;

CREATE FUNCTION app.half(amount numeric) RETURNS numeric LANGUAGE sql AS 'SELECT $1 / 2';
