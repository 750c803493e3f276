CREATE SCHEMA app;

CREATE TYPE app.size AS ENUM ('s', 'l');
