CREATE SCHEMA app;

CREATE TABLE app.counters (
    name text PRIMARY KEY,
    n integer DEFAULT 0,
    step smallint DEFAULT 1 NOT NULL
);
INSERT INTO app.counters VALUES ('a', 5, 1), ('b', DEFAULT, DEFAULT);
