CREATE SCHEMA app;

CREATE TABLE app.audit (at timestamptz NOT NULL DEFAULT now(), tbl text, op text);
CREATE FUNCTION app.audit_row() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO app.audit (tbl, op) VALUES (TG_TABLE_NAME, TG_OP);
    RETURN NULL;
END
$$;
CREATE TABLE app.items (id int PRIMARY KEY);
CREATE TRIGGER items_audit AFTER INSERT OR UPDATE OR DELETE ON app.items FOR EACH ROW EXECUTE FUNCTION app.audit_row();
