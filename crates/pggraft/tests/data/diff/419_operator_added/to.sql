CREATE SCHEMA app;

CREATE TABLE app.t (a int, b int);

CREATE FUNCTION app.near(x int, y int) RETURNS boolean LANGUAGE sql IMMUTABLE AS $$ SELECT abs(x - y) < 2 $$;
CREATE OPERATOR app.~~~ (FUNCTION = app.near, LEFTARG = int, RIGHTARG = int, COMMUTATOR = OPERATOR(app.~~~));
COMMENT ON OPERATOR app.~~~ (int, int) IS 'near';
CREATE OPERATOR app.@@@ (FUNCTION = int4abs, RIGHTARG = int);
CREATE VIEW app.v AS SELECT a, OPERATOR(app.@@@) b AS m FROM app.t WHERE a OPERATOR(app.~~~) b;
