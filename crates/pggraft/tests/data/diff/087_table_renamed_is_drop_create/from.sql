CREATE SCHEMA app;

CREATE TABLE app.clients (id int PRIMARY KEY, name text NOT NULL);
INSERT INTO app.clients VALUES (1, 'acme');
