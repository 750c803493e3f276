CREATE SCHEMA app;

CREATE TABLE app."café" ("größe" int);
