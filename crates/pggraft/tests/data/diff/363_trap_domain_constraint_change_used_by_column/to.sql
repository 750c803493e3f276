CREATE SCHEMA app;

CREATE DOMAIN app.code AS text CONSTRAINT code_format CHECK (VALUE ~ '^[A-Z0-9]+$' AND length(VALUE) <= 12);
CREATE TABLE app.products (id int PRIMARY KEY, code app.code NOT NULL);
CREATE TABLE app.archive (id int PRIMARY KEY, code app.code);
