CREATE SCHEMA app;

CREATE TABLE app.docs (id int PRIMARY KEY, owner text, touched_at timestamptz);
CREATE FUNCTION app.touch() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.touched_at := now();
  RETURN NEW;
END $$;
CREATE TRIGGER docs_touch BEFORE UPDATE OF owner ON app.docs
    FOR EACH ROW EXECUTE FUNCTION app.touch();
CREATE TRIGGER docs_touch_named BEFORE UPDATE ON app.docs
    FOR EACH ROW WHEN (NEW.owner IS NOT NULL) EXECUTE FUNCTION app.touch();
ALTER TABLE app.docs ENABLE ROW LEVEL SECURITY;
CREATE POLICY docs_mine ON app.docs USING (owner = current_user);
CREATE FUNCTION app.doc_owner(doc int) RETURNS text LANGUAGE sql STABLE
BEGIN ATOMIC
    SELECT owner FROM app.docs WHERE id = doc;
END;
INSERT INTO app.docs VALUES (1, 'ann', NULL);
