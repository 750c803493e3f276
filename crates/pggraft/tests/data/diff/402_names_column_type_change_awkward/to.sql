CREATE SCHEMA app;

CREATE TABLE app."Order" ("Amount ($)" bigint NOT NULL, "Status" varchar(20));
CREATE VIEW app."Order View" AS SELECT "Amount ($)" FROM app."Order";
