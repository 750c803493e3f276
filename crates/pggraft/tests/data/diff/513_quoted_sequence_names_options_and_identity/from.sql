CREATE SCHEMA "Billing";

CREATE SEQUENCE "Billing"."foobar sequence" AS integer;
CREATE TABLE "Billing"."Line Items" (
    "Line Id" int DEFAULT nextval('"Billing"."foobar sequence"') NOT NULL,
    note text
);
ALTER SEQUENCE "Billing"."foobar sequence" OWNED BY "Billing"."Line Items"."Line Id";
INSERT INTO "Billing"."Line Items" (note) VALUES ('a'), ('b');
