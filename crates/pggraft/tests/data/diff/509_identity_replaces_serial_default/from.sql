CREATE SCHEMA app;

CREATE TABLE app.users (id serial PRIMARY KEY, email text NOT NULL);
CREATE TABLE app.sessions (id int PRIMARY KEY, user_id int NOT NULL REFERENCES app.users);
INSERT INTO app.users (email) VALUES ('a@example.com'), ('b@example.com');
INSERT INTO app.sessions VALUES (1, 2);
