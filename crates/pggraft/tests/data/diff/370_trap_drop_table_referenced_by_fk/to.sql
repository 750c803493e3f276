CREATE SCHEMA app;

CREATE TABLE app.orders (id int PRIMARY KEY, customer_id int);
