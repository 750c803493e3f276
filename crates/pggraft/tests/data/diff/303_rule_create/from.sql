CREATE SCHEMA app;

CREATE TABLE app.items (id int PRIMARY KEY, name text);
CREATE TABLE app.item_log (item_id int, action text);
