CREATE SCHEMA app;
CREATE TABLE app.price (id int PRIMARY KEY, amount numeric(12,2) NOT NULL, code text, qty int);
