CREATE SCHEMA app;

CREATE TABLE app.items (id int PRIMARY KEY, qty int);
CREATE FUNCTION app.total_qty() RETURNS bigint LANGUAGE sql STABLE BEGIN ATOMIC SELECT sum(qty) FROM app.items; END;
