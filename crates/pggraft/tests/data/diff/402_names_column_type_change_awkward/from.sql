CREATE SCHEMA app;

CREATE TABLE app."Order" ("Amount ($)" int NOT NULL, "Status" text);
CREATE VIEW app."Order View" AS SELECT "Amount ($)" FROM app."Order";
INSERT INTO app."Order" VALUES (10, 'new');
