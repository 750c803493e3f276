-- PostgreSQL docs, 5.11.3 "Partitioning Using Inheritance": the parent holds no rows, each
-- child a month, kept there by a CHECK constraint and an index of its own.
CREATE SCHEMA app;

CREATE TABLE app.measurement (
    city_id int NOT NULL,
    logdate date NOT NULL,
    peaktemp int,
    unitsales int
);
CREATE TABLE app.measurement_y2006m02 (
    CHECK (logdate >= DATE '2006-02-01' AND logdate < DATE '2006-03-01')
) INHERITS (app.measurement);
CREATE TABLE app.measurement_y2006m03 (
    CHECK (logdate >= DATE '2006-03-01' AND logdate < DATE '2006-04-01')
) INHERITS (app.measurement);
CREATE INDEX measurement_y2006m02_logdate ON app.measurement_y2006m02 (logdate);
CREATE INDEX measurement_y2006m03_logdate ON app.measurement_y2006m03 (logdate);
INSERT INTO app.measurement_y2006m02 VALUES (1, '2006-02-10', 30, 5), (2, '2006-02-20', 31, 6);
INSERT INTO app.measurement_y2006m03 VALUES (1, '2006-03-05', 35, 7);
