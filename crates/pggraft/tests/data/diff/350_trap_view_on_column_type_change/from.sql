CREATE SCHEMA app;

CREATE TABLE app.orders (id int PRIMARY KEY, amount int NOT NULL);
CREATE VIEW app.big_orders AS SELECT id, amount FROM app.orders WHERE amount > 1000;
INSERT INTO app.orders VALUES (1, 5000);
