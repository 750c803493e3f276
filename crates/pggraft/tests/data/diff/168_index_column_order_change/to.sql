CREATE SCHEMA app;

CREATE TABLE app.t (id int PRIMARY KEY, a int, b int);
CREATE INDEX t_lookup_idx ON app.t (b, a);
