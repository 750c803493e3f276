CREATE SCHEMA app;

CREATE TYPE app.address AS (street text, zip varchar(10));
