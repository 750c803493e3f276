CREATE SCHEMA app;

CREATE TABLE app.events (
    id int PRIMARY KEY,
    name text NOT NULL,
    created timestamp NOT NULL DEFAULT now(),
    seen_at bigint
);
CREATE INDEX events_created_idx ON app.events (created);
INSERT INTO app.events VALUES (1, 'signup', '2023-11-14 22:13:20', 1709294400);
