CREATE SCHEMA app;

CREATE TABLE app.items (id int PRIMARY KEY, price numeric);
CREATE FUNCTION app.total_price() RETURNS numeric LANGUAGE sql STABLE
BEGIN ATOMIC
    SELECT sum(price) FROM app.items;
END;
