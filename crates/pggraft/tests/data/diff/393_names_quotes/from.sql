CREATE SCHEMA app;

CREATE TABLE app."it's" ("say ""hi""" text);
