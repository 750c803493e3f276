CREATE SCHEMA app;

CREATE SCHEMA other;
CREATE TABLE other.t (id int PRIMARY KEY, n int);
