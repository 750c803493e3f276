CREATE SCHEMA app;

CREATE FUNCTION app.norm(s text) RETURNS text LANGUAGE sql IMMUTABLE AS 'SELECT lower(trim(s))';
CREATE TABLE app.users (id int PRIMARY KEY, email text);
CREATE UNIQUE INDEX users_email_norm_idx ON app.users (app.norm(email));
