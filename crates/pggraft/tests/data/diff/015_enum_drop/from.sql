CREATE SCHEMA app;

CREATE TYPE app.mood AS ENUM ('sad', 'ok', 'happy');
CREATE TABLE app.people (id int PRIMARY KEY);
