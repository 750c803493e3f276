CREATE SCHEMA app;

CREATE TABLE app.reservations (id int PRIMARY KEY, span tsrange NOT NULL, cancelled boolean NOT NULL DEFAULT false,
    CONSTRAINT reservations_no_overlap EXCLUDE USING gist (span WITH &&) WHERE (NOT cancelled));
