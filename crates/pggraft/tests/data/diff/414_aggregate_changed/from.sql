CREATE SCHEMA app;

CREATE AGGREGATE app.total(int) (SFUNC = int4pl, STYPE = int);
CREATE AGGREGATE app.cnt(*) (SFUNC = int8inc, STYPE = int8, INITCOND = '0');
