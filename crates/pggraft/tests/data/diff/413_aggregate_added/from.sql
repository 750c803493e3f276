CREATE SCHEMA app;

CREATE FUNCTION app.step(s int, v int) RETURNS int LANGUAGE sql IMMUTABLE AS $$ SELECT s + v $$;
