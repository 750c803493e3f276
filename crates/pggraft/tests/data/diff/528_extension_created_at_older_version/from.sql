CREATE SCHEMA app;

CREATE TABLE app.users (id int PRIMARY KEY, email text NOT NULL);
INSERT INTO app.users VALUES (1, 'Ann@Example.com');
