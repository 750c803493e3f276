CREATE SCHEMA app;

CREATE TABLE app.t (id int PRIMARY KEY, org int, email text, CONSTRAINT t_email_key UNIQUE (email));
