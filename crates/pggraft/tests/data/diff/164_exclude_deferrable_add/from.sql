CREATE SCHEMA app;

CREATE TABLE app.seats (id int PRIMARY KEY, seat int NOT NULL);
