-- The same months as declarative partitions (docs, 5.11.2.1): the children keep their names,
-- their rows and their indexes, which now hang under the parent's.
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
CREATE INDEX measurement_y2006m02_logdate ON app.measurement_y2006m02 (logdate);
CREATE INDEX measurement_y2006m03_logdate ON app.measurement_y2006m03 (logdate);
CREATE INDEX measurement_logdate ON app.measurement (logdate);
INSERT INTO app.measurement VALUES (1, '2006-02-10', 30, 5), (2, '2006-02-20', 31, 6), (1, '2006-03-05', 35, 7);
