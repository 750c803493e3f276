CREATE SCHEMA app;

CREATE TYPE app.mood AS ENUM ('sad', 'ok', 'happy', 'meh');
CREATE TABLE app.people (id int PRIMARY KEY, name text NOT NULL, mood app.mood DEFAULT 'meh');
CREATE VIEW app.people_moods AS SELECT id, name, mood FROM app.people;
CREATE INDEX people_mood_idx ON app.people (mood);
INSERT INTO app.people VALUES (1, 'ann', 'happy'), (2, 'bob', DEFAULT);
