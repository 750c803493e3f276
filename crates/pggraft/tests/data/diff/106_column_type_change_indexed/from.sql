CREATE SCHEMA app;

CREATE TABLE app.t (id int PRIMARY KEY, ref int);
CREATE INDEX t_ref_idx ON app.t (ref);
INSERT INTO app.t VALUES (1, 5);
