CREATE SCHEMA app;

CREATE FUNCTION app.is_even(n int) RETURNS boolean LANGUAGE sql IMMUTABLE AS 'SELECT n % 2 = 0';
CREATE DOMAIN app.even AS int CHECK (app.is_even(VALUE));
CREATE TABLE app.t (id int PRIMARY KEY, e app.even);
