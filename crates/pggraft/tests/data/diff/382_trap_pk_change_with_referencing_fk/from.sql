CREATE SCHEMA app;

CREATE TABLE app.parents (id int NOT NULL, code text NOT NULL, CONSTRAINT parents_pkey PRIMARY KEY (id));
CREATE TABLE app.children (id int PRIMARY KEY, parent_id int, CONSTRAINT children_parent_fk FOREIGN KEY (parent_id) REFERENCES app.parents (id));
