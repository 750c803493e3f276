CREATE SCHEMA app;

CREATE EXTENSION citext WITH SCHEMA app;
CREATE DOMAIN app.email AS app.citext CHECK (VALUE ~ '@');
CREATE TABLE app.users (id int PRIMARY KEY, email app.email UNIQUE);
