CREATE SCHEMA app;

CREATE TYPE app.size AS ENUM ('small', 'large', 'medium');
CREATE TABLE app.shirts (id int PRIMARY KEY, size app.size NOT NULL DEFAULT 'small');
INSERT INTO app.shirts VALUES (1, 'small'), (2, 'medium'), (3, 'large');
