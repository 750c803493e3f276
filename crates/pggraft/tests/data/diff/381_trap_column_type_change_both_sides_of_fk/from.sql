CREATE SCHEMA app;

CREATE TABLE app.parents (id int PRIMARY KEY);
CREATE TABLE app.children (id int PRIMARY KEY, parent_id int REFERENCES app.parents (id));
INSERT INTO app.parents VALUES (1);
INSERT INTO app.children VALUES (1, 1);
