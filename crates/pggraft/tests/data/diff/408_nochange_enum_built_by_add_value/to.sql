CREATE SCHEMA app;

CREATE TYPE app.level AS ENUM ('high');
ALTER TYPE app.level ADD VALUE 'low' BEFORE 'high';
ALTER TYPE app.level ADD VALUE 'medium' AFTER 'low';
