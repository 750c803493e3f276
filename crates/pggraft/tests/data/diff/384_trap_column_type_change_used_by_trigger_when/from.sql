CREATE SCHEMA app;

CREATE TABLE app.docs (id int PRIMARY KEY, version int NOT NULL);
CREATE FUNCTION app.noop() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN RETURN NEW; END$$;
CREATE TRIGGER docs_version BEFORE UPDATE ON app.docs FOR EACH ROW WHEN (NEW.version > OLD.version) EXECUTE FUNCTION app.noop();
