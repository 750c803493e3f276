CREATE SCHEMA app;

CREATE TABLE app.t (id int PRIMARY KEY, w int, h int);
INSERT INTO app.t VALUES (1, 2, 3);
