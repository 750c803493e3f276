CREATE SCHEMA app;

CREATE TYPE app.color AS ENUM ('red', 'green', 'blue');
CREATE TABLE app.paints (id int PRIMARY KEY, color app.color);
