CREATE SCHEMA app;

CREATE TABLE app."Weird Table" (id int CONSTRAINT "PK of ""Weird""" PRIMARY KEY, "Val" text CONSTRAINT "check: Val" CHECK ("Val" <> ''));
CREATE INDEX "Idx Weird ""Val""" ON app."Weird Table" ("Val" DESC);
CREATE STATISTICS app."stats of Weird" ON id, "Val" FROM app."Weird Table";
