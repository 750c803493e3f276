CREATE SCHEMA app;

CREATE TABLE app.t (id int PRIMARY KEY, pct int, CONSTRAINT t_pct_check CHECK (pct >= 0));
INSERT INTO app.t VALUES (1, 50);
