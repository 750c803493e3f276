CREATE SCHEMA app;

CREATE FUNCTION app.step(s int, v int) RETURNS int LANGUAGE sql IMMUTABLE AS $$ SELECT s + v $$;

CREATE AGGREGATE app.total(int) (SFUNC = app.step, STYPE = int, INITCOND = '0');
COMMENT ON AGGREGATE app.total(int) IS 'a total';
CREATE VIEW app.v AS SELECT app.total(x) AS t FROM generate_series(1, 3) x;
