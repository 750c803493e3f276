CREATE SCHEMA app;

CREATE EXTENSION btree_gist;
CREATE TABLE app.bookings (
    id int PRIMARY KEY,
    room int NOT NULL,
    during tstzrange NOT NULL,
    CONSTRAINT bookings_no_overlap EXCLUDE USING gist (room WITH =, during WITH &&)
);
