CREATE SCHEMA app;

CREATE FUNCTION app.is_email(s text) RETURNS boolean LANGUAGE sql IMMUTABLE AS $$SELECT s ~ '^[^@]+@[^@]+$'$$;
CREATE TABLE app.users (id int PRIMARY KEY, email text, CONSTRAINT users_email_check CHECK (app.is_email(email)));
