CREATE SCHEMA app;

CREATE TABLE app.items (id int PRIMARY KEY, name text);
CREATE TABLE app.item_log (item_id int, action text);

CREATE RULE items_log_insert AS ON INSERT TO app.items DO ALSO INSERT INTO app.item_log VALUES (NEW.id, 'insert');
