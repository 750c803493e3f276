CREATE SCHEMA app;

CREATE TABLE app.cache (k text PRIMARY KEY, v text);
INSERT INTO app.cache VALUES ('a', 'b');
