CREATE SCHEMA app;

CREATE TYPE app.label AS (code text COLLATE "POSIX", title text);
