CREATE SCHEMA app;

CREATE TABLE app.t (id int, a text, b text);
ALTER TABLE app.t ALTER COLUMN a SET DEFAULT 'x';
