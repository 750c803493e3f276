CREATE SCHEMA app;

CREATE TABLE app.t (id int PRIMARY KEY, path text);
CREATE INDEX t_path_idx ON app.t (path text_pattern_ops);
