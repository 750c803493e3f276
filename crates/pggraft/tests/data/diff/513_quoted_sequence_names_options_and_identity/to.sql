CREATE SCHEMA "Billing";

CREATE SEQUENCE "Billing"."foobar sequence" AS bigint INCREMENT BY 5 CACHE 10;
CREATE TABLE "Billing"."Line Items" (
    "Line Id" int DEFAULT nextval('"Billing"."foobar sequence"') NOT NULL,
    note text,
    "Audit No" bigint GENERATED ALWAYS AS IDENTITY (SEQUENCE NAME "Billing"."audit no's")
);
INSERT INTO "Billing"."Line Items" (note) VALUES ('a'), ('b');
