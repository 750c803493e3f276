CREATE SCHEMA app;

CREATE TABLE app.t (id int PRIMARY KEY, name text, secret text);

GRANT ALL ON app.t TO PUBLIC;
