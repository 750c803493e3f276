CREATE SCHEMA app;

CREATE TABLE app.items (id int PRIMARY KEY, qty bigint);
CREATE FUNCTION app.total_qty() RETURNS numeric LANGUAGE sql STABLE BEGIN ATOMIC SELECT sum(qty) FROM app.items; END;
