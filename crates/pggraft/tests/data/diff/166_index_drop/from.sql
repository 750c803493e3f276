CREATE SCHEMA app;

CREATE TABLE app.t (id int PRIMARY KEY, name text);
CREATE INDEX t_name_idx ON app.t (name);
