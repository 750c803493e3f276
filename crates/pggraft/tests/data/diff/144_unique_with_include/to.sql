CREATE SCHEMA app;

CREATE TABLE app.t (id int PRIMARY KEY, code text, label text, CONSTRAINT t_code_key UNIQUE (code) INCLUDE (label));
