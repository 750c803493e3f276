CREATE SCHEMA app;

CREATE TABLE app.t (a bigint, b bigint);
CREATE SEQUENCE app.t_seq OWNED BY app.t.a;
