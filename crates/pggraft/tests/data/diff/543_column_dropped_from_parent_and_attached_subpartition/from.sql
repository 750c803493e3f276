-- Two levels (docs, 5.11.2.1, sub-partitioning): a year partitioned again by city. The
-- partition for city 1 was made on its own and attached, so it lists every column itself, has
-- a CHECK and an index on legacy_code, and a view reads that column through it.
CREATE SCHEMA app;

CREATE TABLE app.measurement (
    city_id int NOT NULL,
    logdate date NOT NULL,
    peaktemp int,
    legacy_code text
) PARTITION BY RANGE (logdate);
CREATE TABLE app.measurement_y2006 PARTITION OF app.measurement
    FOR VALUES FROM ('2006-01-01') TO ('2007-01-01')
    PARTITION BY LIST (city_id);
CREATE TABLE app.measurement_y2006_c1 (
    city_id int NOT NULL,
    logdate date NOT NULL,
    peaktemp int,
    legacy_code text CONSTRAINT legacy_code_not_empty CHECK (legacy_code <> '')
);
ALTER TABLE app.measurement_y2006 ATTACH PARTITION app.measurement_y2006_c1 FOR VALUES IN (1);
CREATE TABLE app.measurement_y2006_rest PARTITION OF app.measurement_y2006 DEFAULT;
CREATE INDEX measurement_y2006_c1_legacy_idx ON app.measurement_y2006_c1 (legacy_code);
CREATE VIEW app.city1_codes AS SELECT logdate, legacy_code FROM app.measurement_y2006_c1;
INSERT INTO app.measurement VALUES (1, '2006-02-10', 30, 'a'), (2, '2006-03-05', 35, NULL), (1, '2006-07-01', 28, 'b');
