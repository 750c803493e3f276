CREATE SCHEMA app;

CREATE TABLE app.bookings (id int PRIMARY KEY, room int NOT NULL, during tstzrange NOT NULL);
