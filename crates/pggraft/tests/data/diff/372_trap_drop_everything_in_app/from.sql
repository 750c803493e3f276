CREATE SCHEMA app;

CREATE TYPE app.mood AS ENUM ('sad', 'happy');
CREATE TABLE app.people (id int PRIMARY KEY, mood app.mood, boss int REFERENCES app.people);
CREATE VIEW app.happy AS SELECT id FROM app.people WHERE mood = 'happy';
CREATE FUNCTION app.n_people() RETURNS bigint LANGUAGE sql STABLE BEGIN ATOMIC SELECT count(*) FROM app.people; END;
CREATE SEQUENCE app.s OWNED BY app.people.id;
CREATE INDEX people_mood_idx ON app.people (mood);
