CREATE SCHEMA app;
CREATE TABLE app.t (id int PRIMARY KEY, v int, r int);
CREATE TABLE app.r (id int PRIMARY KEY);
INSERT INTO app.t VALUES (1, 1, NULL);
