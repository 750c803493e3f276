CREATE SCHEMA app;

CREATE TABLE app.t (id int PRIMARY KEY, amount numeric(14,4));
