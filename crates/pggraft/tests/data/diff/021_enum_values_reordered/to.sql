CREATE SCHEMA app;

CREATE TYPE app.size AS ENUM ('small', 'medium', 'large');
CREATE TABLE app.shirts (id int PRIMARY KEY, size app.size NOT NULL DEFAULT 'small');
