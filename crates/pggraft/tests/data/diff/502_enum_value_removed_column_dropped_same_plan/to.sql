CREATE SCHEMA app;

CREATE TYPE app.status AS ENUM ('new', 'paid');
CREATE TABLE app.orders (id int PRIMARY KEY, status app.status NOT NULL DEFAULT 'new');
CREATE TABLE app.refunds (id int PRIMARY KEY, order_id int NOT NULL REFERENCES app.orders);
INSERT INTO app.orders VALUES (1, 'new'), (2, 'paid');
INSERT INTO app.refunds VALUES (10, 2);
