CREATE SCHEMA app;

CREATE TABLE app.t (id int PRIMARY KEY, name text, secret text);

GRANT SELECT (id, name, secret) ON app.t TO app_reader;
