CREATE SCHEMA app;

CREATE TABLE app.departments (id int PRIMARY KEY, manager_id int);
INSERT INTO app.departments VALUES (1, NULL);
