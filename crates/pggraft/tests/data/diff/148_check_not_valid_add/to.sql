CREATE SCHEMA app;

CREATE TABLE app.t (id int PRIMARY KEY, qty int);
ALTER TABLE app.t ADD CONSTRAINT t_qty_positive CHECK (qty > 0) NOT VALID;
