CREATE SCHEMA app;

CREATE TABLE app.t (id int PRIMARY KEY, n int);
CREATE INDEX t_n_idx ON app.t (n) WITH (fillfactor = 50, deduplicate_items = off);
