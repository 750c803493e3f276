CREATE SCHEMA app;

CREATE SEQUENCE app."foobar sequence" START WITH 100;
CREATE TABLE app.orders (id int PRIMARY KEY);
CREATE TABLE app.invoices (
    id int PRIMARY KEY,
    order_id int REFERENCES app.orders,
    "Invoice No" bigint DEFAULT nextval('app."foobar sequence"')
);
ALTER SEQUENCE app."foobar sequence" OWNED BY app.invoices."Invoice No";
INSERT INTO app.orders (id) VALUES (1), (2);
INSERT INTO app.invoices VALUES (10, 1);
