CREATE SCHEMA app;

CREATE TABLE app.products (id int PRIMARY KEY, name text);
CREATE INDEX products_name_idx ON app.products (name);
INSERT INTO app.products VALUES (1, 'a');
