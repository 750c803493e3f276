CREATE SCHEMA app;

CREATE TABLE app.t (id int PRIMARY KEY, qty text);
INSERT INTO app.t VALUES (1, '12'), (2, '7'), (3, NULL);
