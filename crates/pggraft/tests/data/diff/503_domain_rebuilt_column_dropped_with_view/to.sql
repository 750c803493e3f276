CREATE SCHEMA app;

CREATE DOMAIN app.code AS text CHECK (VALUE ~ '^[A-Z]+$');
CREATE TABLE app.items (id int PRIMARY KEY, code app.code NOT NULL);
INSERT INTO app.items VALUES (1, 'ABC'), (2, 'DEF');
