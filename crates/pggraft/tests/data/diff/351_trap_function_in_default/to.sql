CREATE SCHEMA app;

CREATE FUNCTION app.new_code() RETURNS text LANGUAGE sql VOLATILE AS $$SELECT 'T-' || floor(random() * 1e6)::text$$;
CREATE TABLE app.tickets (id int PRIMARY KEY, code text DEFAULT app.new_code());
