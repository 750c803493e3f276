CREATE SCHEMA app;

CREATE TABLE app.flags (
    id int PRIMARY KEY,
    enabled smallint NOT NULL DEFAULT 0,
    archived boolean,
    payload json,
    score integer
);
INSERT INTO app.flags VALUES (1, 1, true, '{"a": 1}', 3), (2, 0, false, '7', NULL);
