CREATE SCHEMA app;

CREATE TABLE app.t (id int PRIMARY KEY, qty int, CONSTRAINT t_qty_positive CHECK (qty > 0));
