CREATE SCHEMA app;

CREATE TABLE app.t (id int PRIMARY KEY, score int, at timestamptz);
CREATE INDEX t_rank_idx ON app.t (score, at);
