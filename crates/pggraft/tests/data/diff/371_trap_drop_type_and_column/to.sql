CREATE SCHEMA app;

CREATE TABLE app.people (id int PRIMARY KEY);
