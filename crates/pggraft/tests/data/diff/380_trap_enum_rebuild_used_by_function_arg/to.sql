CREATE SCHEMA app;

CREATE TYPE app.prio AS ENUM ('high', 'low');
CREATE FUNCTION app.weight(p app.prio) RETURNS int LANGUAGE sql IMMUTABLE AS $$SELECT CASE p WHEN 'high' THEN 10 ELSE 1 END$$;
