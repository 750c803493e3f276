CREATE SCHEMA app;

CREATE TABLE app.t (id int PRIMARY KEY, name text, secret text);

GRANT SELECT (id, name) ON app.t TO app_reader;
GRANT UPDATE (name) ON app.t TO "App Writer";
