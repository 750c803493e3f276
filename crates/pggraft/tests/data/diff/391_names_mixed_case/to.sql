CREATE SCHEMA app;

CREATE TABLE app."UserAccounts" ("Id" int PRIMARY KEY, "FirstName" text NOT NULL DEFAULT '', "LastName" text);
CREATE INDEX "UserAccounts_LastName_idx" ON app."UserAccounts" ("LastName");
CREATE TABLE app.useraccounts (id int);
