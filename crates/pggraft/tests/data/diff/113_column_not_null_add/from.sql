CREATE SCHEMA app;

CREATE TABLE app.t (id int PRIMARY KEY, name text);
INSERT INTO app.t VALUES (1, 'ann');
