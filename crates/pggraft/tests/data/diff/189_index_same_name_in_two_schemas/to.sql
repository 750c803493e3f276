CREATE SCHEMA app;

CREATE SCHEMA other;
CREATE TABLE app.t (id int PRIMARY KEY, n int);
CREATE TABLE other.t (id int PRIMARY KEY, n int);
CREATE INDEX t_n_idx ON app.t (n);
CREATE INDEX t_n_idx ON other.t (n DESC);
