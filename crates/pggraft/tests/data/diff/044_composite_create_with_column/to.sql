CREATE SCHEMA app;

CREATE TYPE app.address AS (street text, city text, zip varchar(10));
CREATE TABLE app.customers (id int PRIMARY KEY, addr app.address);
