CREATE SCHEMA app;

CREATE TABLE app.t (id int PRIMARY KEY, a text, active boolean NOT NULL DEFAULT true);
