CREATE SCHEMA app;

CREATE TYPE app.pair AS (a int, b int);
CREATE FUNCTION app.pair_sum(p app.pair) RETURNS int LANGUAGE sql IMMUTABLE AS 'SELECT p.a + p.b';
