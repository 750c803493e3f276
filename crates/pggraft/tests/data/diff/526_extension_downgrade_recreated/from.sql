CREATE SCHEMA app;
CREATE SCHEMA ext;

CREATE EXTENSION cube WITH SCHEMA ext;
CREATE TABLE app.points (id int PRIMARY KEY, x float8, y float8);
INSERT INTO app.points VALUES (1, 0.5, 1.5);
