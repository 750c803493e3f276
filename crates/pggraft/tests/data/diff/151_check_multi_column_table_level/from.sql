CREATE SCHEMA app;

CREATE TABLE app.ranges (id int PRIMARY KEY, lo int, hi int);
