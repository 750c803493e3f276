CREATE SCHEMA app;

CREATE TABLE app.t (id int PRIMARY KEY, at timestamptz NOT NULL DEFAULT now());
