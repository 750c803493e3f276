CREATE SCHEMA app;

CREATE TABLE app.items (id int PRIMARY KEY, name text);
CREATE VIEW app.item_names AS SELECT id, name FROM app.items;
CREATE FUNCTION app.item_names_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO app.items VALUES (NEW.id, upper(NEW.name));
    RETURN NEW;
END
$$;
CREATE TRIGGER item_names_ins INSTEAD OF INSERT ON app.item_names FOR EACH ROW EXECUTE FUNCTION app.item_names_insert();
