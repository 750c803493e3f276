CREATE SCHEMA app;

CREATE TABLE app.t (id int PRIMARY KEY, email text UNIQUE);
