CREATE SCHEMA app;

CREATE TYPE app.level AS ENUM ('b', 'd');
CREATE TABLE app.grades (id int PRIMARY KEY, level app.level);
INSERT INTO app.grades VALUES (1, 'b'), (2, 'd');
