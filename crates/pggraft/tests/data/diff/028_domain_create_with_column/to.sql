CREATE SCHEMA app;

CREATE DOMAIN app.email AS text CHECK (VALUE ~ '@');
CREATE TABLE app.users (id int PRIMARY KEY, email app.email);
