CREATE SCHEMA app;

CREATE TABLE app.tasks (id int PRIMARY KEY, title text);
