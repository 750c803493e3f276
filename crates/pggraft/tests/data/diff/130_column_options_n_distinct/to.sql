CREATE SCHEMA app;

CREATE TABLE app.t (id int PRIMARY KEY, kind text);
ALTER TABLE app.t ALTER COLUMN kind SET (n_distinct = 12);
