CREATE SCHEMA app;

CREATE TABLE app.categories (id int PRIMARY KEY, parent_id int REFERENCES app.categories (id));
