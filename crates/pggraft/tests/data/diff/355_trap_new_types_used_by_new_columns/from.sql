CREATE SCHEMA app;

CREATE TABLE app.customers (id int PRIMARY KEY);
INSERT INTO app.customers VALUES (1);
