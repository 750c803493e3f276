CREATE SCHEMA app;

CREATE TABLE app.t (id int PRIMARY KEY, score numeric(6,2) CONSTRAINT t_score_check CHECK (score >= 0));
