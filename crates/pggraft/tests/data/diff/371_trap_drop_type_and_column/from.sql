CREATE SCHEMA app;

CREATE TYPE app.mood AS ENUM ('sad', 'happy');
CREATE DOMAIN app.posint AS int CHECK (VALUE > 0);
CREATE TABLE app.people (id int PRIMARY KEY, mood app.mood, score app.posint);
