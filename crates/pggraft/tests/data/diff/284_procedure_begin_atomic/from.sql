CREATE SCHEMA app;

CREATE TABLE app.counters (name text PRIMARY KEY, n bigint NOT NULL DEFAULT 0);
