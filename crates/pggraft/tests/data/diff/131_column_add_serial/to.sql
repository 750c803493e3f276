CREATE SCHEMA app;

CREATE TABLE app.t (name text, id serial NOT NULL);
