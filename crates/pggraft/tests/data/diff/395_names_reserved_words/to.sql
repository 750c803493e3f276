CREATE SCHEMA app;

CREATE TABLE app."select" ("from" int PRIMARY KEY, "where" text, "order" int, "user" text, "group" text NOT NULL DEFAULT 'x');
CREATE TABLE app."table" ("column" int REFERENCES app."select" ("from"), "check" text CHECK ("check" <> 'bad'));
CREATE VIEW app."view" AS SELECT "from", "order" FROM app."select";
CREATE FUNCTION app."function"("limit" int) RETURNS int LANGUAGE sql AS 'SELECT $1';
