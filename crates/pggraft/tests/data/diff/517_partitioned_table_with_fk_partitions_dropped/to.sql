CREATE SCHEMA app;

CREATE TABLE app.customers (id int PRIMARY KEY, name text);
CREATE TABLE app.regions (code text PRIMARY KEY);
INSERT INTO app.customers VALUES (1, 'ann');
INSERT INTO app.regions VALUES ('eu');
