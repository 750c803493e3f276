CREATE SCHEMA app;

CREATE TABLE app.t (id int PRIMARY KEY, w int, h int, area int GENERATED ALWAYS AS (w * h * 2) STORED);
