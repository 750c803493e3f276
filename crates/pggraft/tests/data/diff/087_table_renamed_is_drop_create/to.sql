CREATE SCHEMA app;

CREATE TABLE app.customers (id int PRIMARY KEY, name text NOT NULL);
