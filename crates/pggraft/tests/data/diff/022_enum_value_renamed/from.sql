CREATE SCHEMA app;

CREATE TYPE app.color AS ENUM ('red', 'grn', 'blue');
CREATE TABLE app.paints (id int PRIMARY KEY, color app.color);
INSERT INTO app.paints VALUES (1, 'red'), (2, 'blue');
