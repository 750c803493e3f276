CREATE SCHEMA app;

CREATE SEQUENCE app."foobar sequence" START WITH 100;
CREATE TABLE app.orders (id int PRIMARY KEY, "Order No" bigint DEFAULT nextval('app."foobar sequence"'));
ALTER SEQUENCE app."foobar sequence" OWNED BY app.orders."Order No";
CREATE TABLE app.invoices (id int PRIMARY KEY, order_id int REFERENCES app.orders);
INSERT INTO app.orders (id) VALUES (1), (2);
INSERT INTO app.invoices VALUES (10, 1);
