CREATE SCHEMA app;

CREATE FUNCTION app.total(VARIADIC xs numeric[]) RETURNS numeric LANGUAGE sql IMMUTABLE AS 'SELECT sum(x) FROM unnest(xs) x';
