-- PostgreSQL docs, 5.11.2.1: measurement partitioned by month, one month partitioned again
-- by peaktemp, a foreign key from the partitioned table to cities.
CREATE SCHEMA app;

CREATE TABLE app.cities (city_id int PRIMARY KEY, name text NOT NULL);
CREATE TABLE app.measurement (
    city_id int NOT NULL REFERENCES app.cities,
    logdate date NOT NULL,
    peaktemp int NOT NULL,
    unitsales int
) PARTITION BY RANGE (logdate);
CREATE TABLE app.measurement_y2006m02 PARTITION OF app.measurement
    FOR VALUES FROM ('2006-02-01') TO ('2006-03-01');
CREATE TABLE app.measurement_y2006m03 PARTITION OF app.measurement
    FOR VALUES FROM ('2006-03-01') TO ('2006-04-01')
    PARTITION BY RANGE (peaktemp);
CREATE TABLE app.measurement_y2006m03_cold PARTITION OF app.measurement_y2006m03
    FOR VALUES FROM (MINVALUE) TO (20);
CREATE TABLE app.measurement_y2006m03_warm PARTITION OF app.measurement_y2006m03
    FOR VALUES FROM (20) TO (MAXVALUE);
CREATE INDEX measurement_logdate_idx ON app.measurement (logdate);
INSERT INTO app.cities VALUES (1, 'Oslo'), (2, 'Rome');
INSERT INTO app.measurement VALUES
    (1, '2006-02-10', 2, 5), (2, '2006-02-20', 14, 6), (1, '2006-03-05', 8, 7), (2, '2006-03-25', 22, 8);
