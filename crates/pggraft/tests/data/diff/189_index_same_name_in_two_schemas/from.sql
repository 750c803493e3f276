CREATE SCHEMA app;

CREATE SCHEMA other;
CREATE TABLE app.t (id int PRIMARY KEY, n int);
CREATE TABLE other.t (id int PRIMARY KEY, n int);
