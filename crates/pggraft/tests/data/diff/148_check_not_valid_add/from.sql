CREATE SCHEMA app;

CREATE TABLE app.t (id int PRIMARY KEY, qty int);
INSERT INTO app.t VALUES (1, 5), (2, -1);
