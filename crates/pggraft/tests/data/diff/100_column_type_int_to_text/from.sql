CREATE SCHEMA app;

CREATE TABLE app.t (id int PRIMARY KEY, code int);
INSERT INTO app.t VALUES (1, 12);
