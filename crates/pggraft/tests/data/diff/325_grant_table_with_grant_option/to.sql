CREATE SCHEMA app;

CREATE TABLE app.t (id int PRIMARY KEY, name text, secret text);

GRANT SELECT ON app.t TO app_reader WITH GRANT OPTION;
