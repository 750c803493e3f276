CREATE SCHEMA app;

CREATE TABLE app.t (id int PRIMARY KEY, tags text[] NOT NULL DEFAULT '{}', attrs jsonb NOT NULL DEFAULT '{}'::jsonb);
