CREATE SCHEMA app;

CREATE TABLE app.docs (id int PRIMARY KEY, body text);
CREATE TABLE app.doc_counts (at timestamptz, n bigint);
CREATE FUNCTION app.count_new() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO app.doc_counts SELECT now(), count(*) FROM new_rows;
    RETURN NULL;
END
$$;
CREATE TRIGGER docs_count AFTER INSERT ON app.docs REFERENCING NEW TABLE AS new_rows
    FOR EACH ROW EXECUTE FUNCTION app.count_new();
