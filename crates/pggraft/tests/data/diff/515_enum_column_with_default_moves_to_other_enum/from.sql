CREATE SCHEMA app;

CREATE TYPE app.mood AS ENUM ('sad', 'ok', 'happy');
CREATE TABLE app.people (
    id int PRIMARY KEY,
    mood app.mood NOT NULL DEFAULT 'ok',
    past app.mood[] DEFAULT '{}'
);
CREATE INDEX people_mood_idx ON app.people (mood);
INSERT INTO app.people VALUES (1, 'happy', '{sad,ok}'), (2, DEFAULT, DEFAULT);
