CREATE SCHEMA app;

CREATE TABLE app.events (
    id int PRIMARY KEY,
    name text NOT NULL,
    created bigint,
    seen_at timestamptz
);
CREATE INDEX events_created_idx ON app.events (created);
INSERT INTO app.events VALUES (1, 'signup', 1700000000, '2024-03-01 12:00:00+00'), (2, 'login', 1700003600, NULL);
