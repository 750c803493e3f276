CREATE SCHEMA app;

CREATE TABLE app.t (id int PRIMARY KEY, price numeric);
INSERT INTO app.t VALUES (1, 5);
