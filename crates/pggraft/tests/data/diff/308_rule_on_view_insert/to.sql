CREATE SCHEMA app;

CREATE TABLE app.items (id int PRIMARY KEY, name text);
CREATE TABLE app.item_log (item_id int, action text);

CREATE VIEW app.named_items AS SELECT id, name FROM app.items WHERE name IS NOT NULL;
CREATE RULE named_items_update AS ON UPDATE TO app.named_items DO INSTEAD
    UPDATE app.items SET name = NEW.name WHERE id = OLD.id;
