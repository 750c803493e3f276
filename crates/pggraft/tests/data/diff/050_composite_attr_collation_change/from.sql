CREATE SCHEMA app;

CREATE TYPE app.label AS (code text COLLATE "C", title text);
