CREATE SCHEMA app;

CREATE TABLE app.flags (
    id int PRIMARY KEY,
    enabled boolean NOT NULL DEFAULT false,
    archived bigint,
    payload jsonb,
    score jsonb
);
INSERT INTO app.flags VALUES (1, true, 1, '{"a": 1}', '3');
