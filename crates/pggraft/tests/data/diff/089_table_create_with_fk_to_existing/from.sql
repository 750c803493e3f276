CREATE SCHEMA app;

CREATE TABLE app.customers (id int PRIMARY KEY, name text);
INSERT INTO app.customers VALUES (1, 'acme');
