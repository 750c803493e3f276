CREATE SCHEMA app;

CREATE FUNCTION app.numbers(n int) RETURNS SETOF int LANGUAGE sql AS 'SELECT generate_series(1, n)';
