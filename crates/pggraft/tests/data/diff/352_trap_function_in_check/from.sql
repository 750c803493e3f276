CREATE SCHEMA app;

CREATE TABLE app.users (id int PRIMARY KEY, email text);
INSERT INTO app.users VALUES (1, 'a@example.com');
