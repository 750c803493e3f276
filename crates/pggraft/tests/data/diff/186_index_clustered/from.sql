CREATE SCHEMA app;

CREATE TABLE app.t (id int PRIMARY KEY, at date);
CREATE INDEX t_at_idx ON app.t (at);
