CREATE SCHEMA app;

CREATE TABLE app.t (id int PRIMARY KEY, qty int);
INSERT INTO app.t VALUES (1, 5);
ALTER TABLE app.t ADD CONSTRAINT t_qty_positive CHECK (qty > 0) NOT VALID;
