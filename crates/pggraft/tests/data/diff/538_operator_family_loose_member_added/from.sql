CREATE SCHEMA app;
CREATE FUNCTION app.abs_lt(int, int) RETURNS bool LANGUAGE sql IMMUTABLE AS 'SELECT abs($1) < abs($2)';
CREATE FUNCTION app.abs_le(int, int) RETURNS bool LANGUAGE sql IMMUTABLE AS 'SELECT abs($1) <= abs($2)';
CREATE FUNCTION app.abs_eq(int, int) RETURNS bool LANGUAGE sql IMMUTABLE AS 'SELECT abs($1) = abs($2)';
CREATE FUNCTION app.abs_ge(int, int) RETURNS bool LANGUAGE sql IMMUTABLE AS 'SELECT abs($1) >= abs($2)';
CREATE FUNCTION app.abs_gt(int, int) RETURNS bool LANGUAGE sql IMMUTABLE AS 'SELECT abs($1) > abs($2)';
CREATE FUNCTION app.abs_cmp(int, int) RETURNS int LANGUAGE sql IMMUTABLE AS 'SELECT btint4cmp(abs($1), abs($2))';
CREATE OPERATOR app.<< (FUNCTION = app.abs_lt, LEFTARG = int, RIGHTARG = int);
CREATE OPERATOR app.<<= (FUNCTION = app.abs_le, LEFTARG = int, RIGHTARG = int);
CREATE OPERATOR app.== (FUNCTION = app.abs_eq, LEFTARG = int, RIGHTARG = int);
CREATE OPERATOR app.>>= (FUNCTION = app.abs_ge, LEFTARG = int, RIGHTARG = int);
CREATE OPERATOR app.>> (FUNCTION = app.abs_gt, LEFTARG = int, RIGHTARG = int);
CREATE TABLE app.t (a int);
INSERT INTO app.t VALUES (-3), (2), (1);
CREATE OPERATOR FAMILY app.abs_ops USING btree;
CREATE OPERATOR CLASS app.abs_ops FOR TYPE int USING btree FAMILY app.abs_ops AS
    OPERATOR 1 app.<<, OPERATOR 2 app.<<=, OPERATOR 3 app.==, OPERATOR 4 app.>>=, OPERATOR 5 app.>>,
    FUNCTION 1 app.abs_cmp(int, int);
COMMENT ON OPERATOR CLASS app.abs_ops USING btree IS 'by absolute value';
