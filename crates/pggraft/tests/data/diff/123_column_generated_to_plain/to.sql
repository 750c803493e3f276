CREATE SCHEMA app;

CREATE TABLE app.t (id int PRIMARY KEY, first text, last text, full_name text);
