-- PostgreSQL docs, 5.11.2.2 "Partition Maintenance": next month's table is loaded on its own,
-- with a CHECK constraint matching the bound it will get so that ATTACH PARTITION need not
-- scan it.
CREATE SCHEMA app;

CREATE TABLE app.measurement (
    city_id int NOT NULL,
    logdate date NOT NULL,
    peaktemp int,
    unitsales int
) PARTITION BY RANGE (logdate);
CREATE TABLE app.measurement_y2006m02 PARTITION OF app.measurement
    FOR VALUES FROM ('2006-02-01') TO ('2006-03-01');
CREATE TABLE app.measurement_y2006m03 PARTITION OF app.measurement
    FOR VALUES FROM ('2006-03-01') TO ('2006-04-01');
CREATE INDEX measurement_logdate_idx ON app.measurement (logdate);
CREATE TABLE app.measurement_y2006m04
    (LIKE app.measurement INCLUDING DEFAULTS INCLUDING CONSTRAINTS);
ALTER TABLE app.measurement_y2006m04 ADD CONSTRAINT y2006m04
    CHECK (logdate >= DATE '2006-04-01' AND logdate < DATE '2006-05-01');
INSERT INTO app.measurement VALUES (1, '2006-02-10', 30, 5), (2, '2006-03-05', 35, 7);
INSERT INTO app.measurement_y2006m04 VALUES (1, '2006-04-02', 40, 9), (2, '2006-04-30', 41, 3);
