CREATE SCHEMA app;

CREATE TABLE app.measurements (id int PRIMARY KEY);
