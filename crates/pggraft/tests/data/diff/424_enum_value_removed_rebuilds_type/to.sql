CREATE SCHEMA app;
CREATE TYPE app.mood AS ENUM ('happy', 'sad');
CREATE TABLE app.t (m app.mood DEFAULT 'happy', ms app.mood[]);
