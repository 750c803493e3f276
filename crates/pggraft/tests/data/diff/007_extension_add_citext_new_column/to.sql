CREATE SCHEMA app;

CREATE EXTENSION citext WITH SCHEMA app;
CREATE TABLE app.users (id int PRIMARY KEY, name text NOT NULL, email app.citext);
CREATE UNIQUE INDEX users_email_key ON app.users (email);
