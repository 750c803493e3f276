CREATE SCHEMA app;

CREATE FUNCTION app.area(r float8) RETURNS float8 LANGUAGE sql IMMUTABLE AS 'SELECT pi() * r * r';
CREATE FUNCTION app.area(w float8, h float8) RETURNS float8 LANGUAGE sql IMMUTABLE AS 'SELECT w * h';
