CREATE SCHEMA app;

CREATE TABLE app.boxes (id int PRIMARY KEY, w bigint, h int, area int GENERATED ALWAYS AS (w * h) STORED);
