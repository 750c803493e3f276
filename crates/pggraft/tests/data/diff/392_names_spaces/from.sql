CREATE SCHEMA app;

CREATE TABLE app."order items" ("item id" int PRIMARY KEY, "unit price" numeric);
