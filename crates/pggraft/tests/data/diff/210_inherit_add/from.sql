CREATE SCHEMA app;

CREATE TABLE app.base (id int NOT NULL, created_at timestamptz);
CREATE TABLE app.child (id int NOT NULL, created_at timestamptz, extra text);
