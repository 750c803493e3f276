CREATE SCHEMA app;

CREATE TABLE app.items (id int PRIMARY KEY, price numeric);
CREATE SCHEMA other;
CREATE TYPE other.currency AS ENUM ('EUR', 'USD');
CREATE TABLE other.prices (item_id int REFERENCES app.items, currency other.currency, amount numeric);
CREATE VIEW other.expensive AS SELECT i.id FROM app.items i WHERE i.price > 100;
