CREATE SCHEMA app;

CREATE TABLE app.t (id int PRIMARY KEY, pos int, CONSTRAINT t_pos_key UNIQUE (pos));
