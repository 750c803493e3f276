CREATE SCHEMA app;

CREATE TABLE app.t (id int PRIMARY KEY, price numeric CONSTRAINT t_price_check CHECK (price >= 0));
