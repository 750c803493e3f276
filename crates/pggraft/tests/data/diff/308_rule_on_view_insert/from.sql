CREATE SCHEMA app;

CREATE TABLE app.items (id int PRIMARY KEY, name text);
CREATE TABLE app.item_log (item_id int, action text);

CREATE VIEW app.named_items AS SELECT id, name FROM app.items WHERE name IS NOT NULL;
