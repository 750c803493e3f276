CREATE SCHEMA app;

CREATE TABLE app.t (name text);
INSERT INTO app.t VALUES ('a'), ('b');
