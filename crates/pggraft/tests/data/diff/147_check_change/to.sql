CREATE SCHEMA app;

CREATE TABLE app.t (id int PRIMARY KEY, pct int, CONSTRAINT t_pct_check CHECK (pct BETWEEN 0 AND 100));
