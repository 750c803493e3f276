CREATE SCHEMA app;

CREATE TABLE app.base (id int NOT NULL, created timestamptz NOT NULL DEFAULT now());
INSERT INTO app.base VALUES (1, '2024-01-01');
