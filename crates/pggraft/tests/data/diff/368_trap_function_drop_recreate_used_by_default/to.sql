CREATE SCHEMA app;

CREATE FUNCTION app.prefix() RETURNS text LANGUAGE sql AS $$SELECT 'B'$$;
CREATE TABLE app.codes (id int PRIMARY KEY, code text DEFAULT app.prefix());
