CREATE SCHEMA app;

CREATE TABLE app.t (id int PRIMARY KEY, name text, secret text);

GRANT SELECT, INSERT, UPDATE, DELETE ON app.t TO "App Writer";
