CREATE SCHEMA app;

CREATE TABLE app.t (a int, b int);
CREATE OPERATOR app.~~~ (FUNCTION = int4eq, LEFTARG = int, RIGHTARG = int);
CREATE VIEW app.v AS SELECT a FROM app.t WHERE a OPERATOR(app.~~~) b;
