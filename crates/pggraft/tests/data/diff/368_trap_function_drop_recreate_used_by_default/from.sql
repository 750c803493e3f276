CREATE SCHEMA app;

CREATE FUNCTION app.prefix() RETURNS varchar LANGUAGE sql AS $$SELECT 'A'::varchar$$;
CREATE TABLE app.codes (id int PRIMARY KEY, code text DEFAULT app.prefix());
