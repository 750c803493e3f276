CREATE SCHEMA app;

CREATE TABLE app.reservations (id int PRIMARY KEY, span tsrange NOT NULL);
