CREATE SCHEMA app;

CREATE TABLE app.tree (id int PRIMARY KEY, parent_id int REFERENCES app.tree);
CREATE RECURSIVE VIEW app.tree_paths (id, path) AS
    SELECT id, ARRAY[id] FROM app.tree WHERE parent_id IS NULL
    UNION ALL
    SELECT t.id, p.path || t.id FROM app.tree t JOIN tree_paths p ON t.parent_id = p.id;
