CREATE SCHEMA app;

CREATE TABLE app.t (id int PRIMARY KEY, kind text, CONSTRAINT t_kind_check CHECK (kind <> '') NO INHERIT);
