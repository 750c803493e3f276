CREATE SCHEMA app;

CREATE TABLE app.t (id int NOT NULL, name text);
INSERT INTO app.t VALUES (1, 'a');
