CREATE SCHEMA app;

CREATE TABLE app.tree (id int PRIMARY KEY, parent_id int REFERENCES app.tree);
