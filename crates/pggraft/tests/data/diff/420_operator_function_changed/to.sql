CREATE SCHEMA app;

CREATE TABLE app.t (a int, b int);
CREATE OPERATOR app.~~~ (FUNCTION = int4ne, LEFTARG = int, RIGHTARG = int, NEGATOR = OPERATOR(app.!~~));
CREATE OPERATOR app.!~~ (FUNCTION = int4eq, LEFTARG = int, RIGHTARG = int, NEGATOR = OPERATOR(app.~~~));
CREATE VIEW app.v AS SELECT a FROM app.t WHERE a OPERATOR(app.~~~) b;
ALTER OPERATOR app.!~~ (int, int) OWNER TO app_reader;
