CREATE SCHEMA app;

CREATE TABLE app.t (id int PRIMARY KEY, n int);
CREATE INDEX t_n_old ON app.t (n);
