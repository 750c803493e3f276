CREATE SCHEMA app;

CREATE TABLE app.ranges (id int PRIMARY KEY, lo int, hi int, CONSTRAINT ranges_bounds CHECK (lo <= hi AND lo >= 0));
