CREATE SCHEMA app;

CREATE TABLE app.base (id int NOT NULL, created_at timestamptz);
CREATE TABLE app.child (id int NOT NULL, created_at timestamptz, extra text) INHERITS (app.base);
INSERT INTO app.child VALUES (1, now(), 'x');
