CREATE SCHEMA app;

CREATE TABLE app.t (id int PRIMARY KEY, ref bigint);
CREATE INDEX t_ref_idx ON app.t (ref);
