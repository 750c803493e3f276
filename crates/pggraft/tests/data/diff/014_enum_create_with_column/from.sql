CREATE SCHEMA app;

CREATE TABLE app.people (id int PRIMARY KEY, name text);
INSERT INTO app.people VALUES (1, 'ann');
