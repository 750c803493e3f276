CREATE SCHEMA app;

CREATE DOMAIN app.code AS text CONSTRAINT code_format CHECK (VALUE ~ '^[A-Z]+$');
CREATE TABLE app.products (id int PRIMARY KEY, code app.code NOT NULL);
CREATE TABLE app.archive (id int PRIMARY KEY, code app.code);
INSERT INTO app.products VALUES (1, 'ABC'), (2, 'XYZ');
