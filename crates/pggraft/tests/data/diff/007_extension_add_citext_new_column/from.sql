CREATE SCHEMA app;

CREATE TABLE app.users (id int PRIMARY KEY, name text NOT NULL);
INSERT INTO app.users VALUES (1, 'ann'), (2, 'bob');
