CREATE SCHEMA app;

CREATE FUNCTION app.area(w float8, h float8) RETURNS float8 LANGUAGE sql IMMUTABLE AS 'SELECT w * h';
