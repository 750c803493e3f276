CREATE SCHEMA app;

CREATE TABLE app.items (id int PRIMARY KEY, price numeric, active boolean);
CREATE FUNCTION app.total_price() RETURNS numeric LANGUAGE sql STABLE
BEGIN ATOMIC
    SELECT sum(price) FROM app.items WHERE active;
END;
