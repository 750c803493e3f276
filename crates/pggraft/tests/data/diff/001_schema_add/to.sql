CREATE SCHEMA app;

CREATE TABLE app.t (id int PRIMARY KEY);

CREATE SCHEMA other;
CREATE TABLE other.notes (id int PRIMARY KEY, body text);
