CREATE SCHEMA app;

CREATE TABLE app.parents (id bigint PRIMARY KEY);
CREATE TABLE app.children (id int PRIMARY KEY, parent_id bigint REFERENCES app.parents (id));
