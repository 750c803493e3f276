CREATE SCHEMA app;

CREATE TABLE app.people (id int PRIMARY KEY, first text, last text);
INSERT INTO app.people VALUES (1, 'Ada', 'Lovelace');
