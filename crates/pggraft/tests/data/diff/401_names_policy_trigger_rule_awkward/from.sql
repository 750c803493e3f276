CREATE SCHEMA app;

CREATE TABLE app."Audit Log" (id int PRIMARY KEY, "Who" text);
