CREATE SCHEMA app;

CREATE TABLE app.customers (id int PRIMARY KEY);
CREATE TABLE app.orders (id int PRIMARY KEY, customer_id int);
INSERT INTO app.customers VALUES (1);
INSERT INTO app.orders VALUES (10, 1), (11, 99);
