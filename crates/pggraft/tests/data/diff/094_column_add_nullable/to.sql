CREATE SCHEMA app;

CREATE TABLE app.t (id int PRIMARY KEY, a text, b text);
