CREATE SCHEMA app;

CREATE TABLE app.docs (id int PRIMARY KEY, title text NOT NULL);
INSERT INTO app.docs VALUES (1, 'PostgreSQL internals'), (2, 'Trigram search');
