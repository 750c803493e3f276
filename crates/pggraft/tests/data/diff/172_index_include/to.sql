CREATE SCHEMA app;

CREATE TABLE app.t (id int PRIMARY KEY, code text, label text);
CREATE INDEX t_code_idx ON app.t (code) INCLUDE (label);
