-- legacy_code goes from the top parent; the partition that lists it itself loses it too, with
-- its CHECK, its index and the view over it.
CREATE SCHEMA app;

CREATE TABLE app.measurement (
    city_id int NOT NULL,
    logdate date NOT NULL,
    peaktemp int
) PARTITION BY RANGE (logdate);
CREATE TABLE app.measurement_y2006 PARTITION OF app.measurement
    FOR VALUES FROM ('2006-01-01') TO ('2007-01-01')
    PARTITION BY LIST (city_id);
CREATE TABLE app.measurement_y2006_c1 (
    city_id int NOT NULL,
    logdate date NOT NULL,
    peaktemp int
);
ALTER TABLE app.measurement_y2006 ATTACH PARTITION app.measurement_y2006_c1 FOR VALUES IN (1);
CREATE TABLE app.measurement_y2006_rest PARTITION OF app.measurement_y2006 DEFAULT;
INSERT INTO app.measurement VALUES (1, '2006-02-10', 30), (2, '2006-03-05', 35), (1, '2006-07-01', 28);
