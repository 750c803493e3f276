CREATE SCHEMA app;

CREATE TABLE app.t (id int PRIMARY KEY, name text COLLATE "C");
INSERT INTO app.t VALUES (1, 'b'), (2, 'A');
