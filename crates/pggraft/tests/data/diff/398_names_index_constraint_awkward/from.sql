CREATE SCHEMA app;

CREATE TABLE app."Weird Table" (id int, "Val" text);
