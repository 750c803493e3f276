CREATE SCHEMA app;

CREATE UNLOGGED TABLE app.cache (k text PRIMARY KEY, v text);
