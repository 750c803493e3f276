CREATE SCHEMA app;

CREATE TABLE app.base (id int NOT NULL, created timestamptz NOT NULL DEFAULT now());
CREATE TABLE app.special (extra text, id int NOT NULL, created timestamptz NOT NULL DEFAULT now());
ALTER TABLE app.special INHERIT app.base;
INSERT INTO app.base VALUES (1, '2024-01-01');
INSERT INTO app.special VALUES ('e', 2, '2024-02-01');
