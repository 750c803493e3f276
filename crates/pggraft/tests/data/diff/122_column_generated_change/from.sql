CREATE SCHEMA app;

CREATE TABLE app.t (id int PRIMARY KEY, w int, h int, area int GENERATED ALWAYS AS (w * h) STORED);
INSERT INTO app.t (id, w, h) VALUES (1, 2, 3);
