CREATE SCHEMA app;

CREATE TYPE app.address AS (street text, city text);
