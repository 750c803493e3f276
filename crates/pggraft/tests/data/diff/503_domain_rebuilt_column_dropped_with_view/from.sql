CREATE SCHEMA app;

CREATE DOMAIN app.code AS varchar(8) CHECK (VALUE ~ '^[A-Z]+$');
CREATE TABLE app.items (
    id int PRIMARY KEY,
    code app.code NOT NULL,
    legacy_code app.code DEFAULT 'OLD'
);
CREATE VIEW app.legacy_items AS SELECT id, legacy_code FROM app.items WHERE legacy_code IS NOT NULL;
INSERT INTO app.items VALUES (1, 'ABC', 'X'), (2, 'DEF', DEFAULT);
