CREATE SCHEMA app;

CREATE FUNCTION app.numbers(n int) RETURNS SETOF int LANGUAGE sql ROWS 50 AS 'SELECT generate_series(1, n)';
