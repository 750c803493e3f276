CREATE SCHEMA app;

CREATE TABLE app.t (id int PRIMARY KEY, token uuid NOT NULL DEFAULT gen_random_uuid());
