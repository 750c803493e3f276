CREATE SCHEMA app;

CREATE TABLE app.hot (id int PRIMARY KEY, n int);
