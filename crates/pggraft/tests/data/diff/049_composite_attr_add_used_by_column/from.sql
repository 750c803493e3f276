CREATE SCHEMA app;

CREATE TYPE app.address AS (street text, city text);
CREATE TABLE app.customers (id int PRIMARY KEY, addr app.address);
INSERT INTO app.customers VALUES (1, ROW('Main St 1', 'Springfield'));
