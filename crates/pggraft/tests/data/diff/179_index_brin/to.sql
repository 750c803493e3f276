CREATE SCHEMA app;

CREATE TABLE app.t (id bigint PRIMARY KEY, at timestamptz NOT NULL);
CREATE INDEX t_at_brin ON app.t USING brin (at) WITH (pages_per_range = 32);
