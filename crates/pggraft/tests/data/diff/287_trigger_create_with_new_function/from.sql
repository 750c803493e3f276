CREATE SCHEMA app;

CREATE TABLE app.docs (id int PRIMARY KEY, body text, status text, updated_at timestamptz);
