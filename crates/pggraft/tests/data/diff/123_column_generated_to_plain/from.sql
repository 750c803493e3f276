CREATE SCHEMA app;

CREATE TABLE app.t (id int PRIMARY KEY, first text, last text, full_name text GENERATED ALWAYS AS (first || ' ' || last) STORED);
INSERT INTO app.t (id, first, last) VALUES (1, 'Ada', 'Lovelace');
