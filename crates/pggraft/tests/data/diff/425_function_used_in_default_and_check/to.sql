CREATE SCHEMA app;
CREATE FUNCTION app.f() RETURNS int LANGUAGE sql IMMUTABLE AS $$ SELECT 1 $$;
CREATE TABLE app.t (id int DEFAULT app.f() CHECK (id >= app.f()));
