CREATE SCHEMA app;

CREATE TABLE app.t (id int PRIMARY KEY, price numeric CHECK (price >= 0));
