CREATE SCHEMA app;

CREATE TYPE app.level AS ENUM ('a', 'b', 'c', 'd');
CREATE TABLE app.grades (id int PRIMARY KEY, level app.level);
