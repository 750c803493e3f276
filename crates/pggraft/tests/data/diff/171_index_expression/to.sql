CREATE SCHEMA app;

CREATE TABLE app.t (id int PRIMARY KEY, email text);
CREATE UNIQUE INDEX t_email_lower_idx ON app.t (lower(email));
