CREATE SCHEMA app;

CREATE EXTENSION citext WITH SCHEMA app;
CREATE TABLE app.users (id int PRIMARY KEY, email app.citext);
