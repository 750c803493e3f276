CREATE SCHEMA app;

CREATE TYPE app.level AS ENUM ('low', 'medium', 'high');
