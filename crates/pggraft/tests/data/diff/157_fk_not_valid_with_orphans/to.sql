CREATE SCHEMA app;

CREATE TABLE app.customers (id int PRIMARY KEY);
CREATE TABLE app.orders (id int PRIMARY KEY, customer_id int);
ALTER TABLE app.orders ADD CONSTRAINT orders_customer_fk FOREIGN KEY (customer_id) REFERENCES app.customers NOT VALID;
