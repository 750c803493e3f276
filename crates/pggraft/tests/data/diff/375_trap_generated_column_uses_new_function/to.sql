CREATE SCHEMA app;

CREATE FUNCTION app.full_name(f text, l text) RETURNS text LANGUAGE sql IMMUTABLE AS $$SELECT f || ' ' || l$$;
CREATE TABLE app.people (id int PRIMARY KEY, first text, last text, full_name text GENERATED ALWAYS AS (app.full_name(first, last)) STORED);
