CREATE SCHEMA app;

CREATE TABLE app."select" ("from" int PRIMARY KEY, "where" text);
