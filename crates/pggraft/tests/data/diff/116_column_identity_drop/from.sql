CREATE SCHEMA app;

CREATE TABLE app.t (id int GENERATED ALWAYS AS IDENTITY, name text);
INSERT INTO app.t (name) VALUES ('a');
