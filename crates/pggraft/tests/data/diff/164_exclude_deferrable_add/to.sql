CREATE SCHEMA app;

CREATE TABLE app.seats (id int PRIMARY KEY, seat int NOT NULL,
    CONSTRAINT seats_unique_seat EXCLUDE USING btree (seat WITH =) DEFERRABLE);
