CREATE SCHEMA app;

CREATE TABLE app.t (id int PRIMARY KEY, at timestamptz NOT NULL DEFAULT (clock_timestamp() AT TIME ZONE 'UTC'));
