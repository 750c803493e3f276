CREATE SCHEMA app;

CREATE TABLE app.orders (id int PRIMARY KEY, amount bigint NOT NULL);
CREATE VIEW app.big_orders AS SELECT id, amount FROM app.orders WHERE amount > 1000;
