CREATE SCHEMA app;

CREATE TABLE app."a.b" (id int);
