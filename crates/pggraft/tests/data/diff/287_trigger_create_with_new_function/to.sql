CREATE SCHEMA app;

CREATE TABLE app.docs (id int PRIMARY KEY, body text, status text, updated_at timestamptz);
CREATE FUNCTION app.touch() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.updated_at := now();
    RETURN NEW;
END
$$;

CREATE TRIGGER docs_touch BEFORE UPDATE ON app.docs FOR EACH ROW EXECUTE FUNCTION app.touch();
