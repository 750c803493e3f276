CREATE SCHEMA app;

CREATE FUNCTION app.half(x numeric) RETURNS numeric LANGUAGE sql AS 'SELECT $1 / 2';
