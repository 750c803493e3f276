CREATE SCHEMA app;

CREATE TYPE app.mood AS ENUM ('sad', 'ok', 'happy');
CREATE TABLE app.people (id int PRIMARY KEY, name text NOT NULL);
INSERT INTO app.people VALUES (1, 'ann'), (2, 'bob');
