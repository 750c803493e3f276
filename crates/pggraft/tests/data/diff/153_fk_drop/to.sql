CREATE SCHEMA app;

CREATE TABLE app.customers (id int PRIMARY KEY);
CREATE TABLE app.orders (id int PRIMARY KEY, customer_id int);
