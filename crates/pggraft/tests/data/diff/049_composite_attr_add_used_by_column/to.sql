CREATE SCHEMA app;

CREATE TYPE app.address AS (street text, city text, country char(2));
CREATE TABLE app.customers (id int PRIMARY KEY, addr app.address);
