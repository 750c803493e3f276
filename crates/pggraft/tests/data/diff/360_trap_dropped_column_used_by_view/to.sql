CREATE SCHEMA app;

CREATE TABLE app.people (id int PRIMARY KEY, name text);
CREATE VIEW app.names AS SELECT id, name FROM app.people;
