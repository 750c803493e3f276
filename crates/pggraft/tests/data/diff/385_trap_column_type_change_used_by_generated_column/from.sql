CREATE SCHEMA app;

CREATE TABLE app.boxes (id int PRIMARY KEY, w int, h int, area int GENERATED ALWAYS AS (w * h) STORED);
INSERT INTO app.boxes (id, w, h) VALUES (1, 2, 3);
