CREATE SCHEMA app;

CREATE AGGREGATE app.total(int) (SFUNC = int4pl, STYPE = int, INITCOND = '100', PARALLEL = SAFE);
CREATE AGGREGATE app.cnt(*) (SFUNC = int8inc, STYPE = int8, INITCOND = '0');
ALTER AGGREGATE app.cnt(*) OWNER TO app_reader;
