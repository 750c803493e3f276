CREATE SCHEMA app;

CREATE TABLE app."order items" ("item id" int PRIMARY KEY, "unit price" numeric(10,2) CONSTRAINT "unit price positive" CHECK ("unit price" > 0), "line note" text);
CREATE VIEW app."priced items" AS SELECT "item id", "unit price" FROM app."order items";
