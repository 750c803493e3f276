CREATE SCHEMA app;

CREATE TABLE app.customers (id int PRIMARY KEY);
CREATE TABLE app.orders (id int PRIMARY KEY, customer_id int,
    CONSTRAINT orders_customer_fk FOREIGN KEY (customer_id) REFERENCES app.customers ON DELETE SET NULL);
