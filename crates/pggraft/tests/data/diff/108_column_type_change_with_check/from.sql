CREATE SCHEMA app;

CREATE TABLE app.t (id int PRIMARY KEY, score int CONSTRAINT t_score_check CHECK (score >= 0));
INSERT INTO app.t VALUES (1, 3);
