CREATE SCHEMA app;

CREATE TABLE app.t (id bigint PRIMARY KEY, at timestamptz NOT NULL);
