CREATE SCHEMA app;

CREATE TABLE app."UserAccounts" ("Id" int PRIMARY KEY, "FirstName" text);
