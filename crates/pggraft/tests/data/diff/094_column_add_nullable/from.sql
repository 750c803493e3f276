CREATE SCHEMA app;

CREATE TABLE app.t (id int PRIMARY KEY, a text);
INSERT INTO app.t VALUES (1, 'x');
