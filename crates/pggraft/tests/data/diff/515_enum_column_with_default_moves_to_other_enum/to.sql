CREATE SCHEMA app;

CREATE TYPE app.feeling AS ENUM ('sad', 'ok', 'happy', 'elated');
CREATE TABLE app.people (
    id int PRIMARY KEY,
    mood app.feeling NOT NULL DEFAULT 'happy',
    past app.feeling[] DEFAULT '{}'
);
CREATE INDEX people_mood_idx ON app.people (mood);
INSERT INTO app.people VALUES (1, 'happy', '{sad,ok}'), (2, DEFAULT, DEFAULT);
