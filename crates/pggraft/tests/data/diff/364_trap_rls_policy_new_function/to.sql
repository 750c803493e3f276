CREATE SCHEMA app;

CREATE FUNCTION app.current_team() RETURNS text LANGUAGE sql STABLE AS $$SELECT current_setting('app.team', true)$$;
CREATE TABLE app.docs (id int PRIMARY KEY, team text NOT NULL);
ALTER TABLE app.docs ENABLE ROW LEVEL SECURITY;
CREATE POLICY docs_team ON app.docs USING (team = app.current_team());
