CREATE SCHEMA app;

CREATE TABLE app."a.b" (id int, "x.y" text, "$money" numeric, price$ int);
CREATE VIEW app."v.a.b" AS SELECT "x.y" FROM app."a.b";
CREATE SEQUENCE app."1st";
