CREATE SCHEMA app;

CREATE TABLE app.categories (id int PRIMARY KEY, parent_id int);
INSERT INTO app.categories VALUES (1, NULL), (2, 1);
