-- The oldest month is detached and kept as a table of its own (docs: "allows further
-- operations to be performed on the data before it is dropped"); the loaded one is attached,
-- and gets the parent's index.
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
ALTER TABLE app.measurement ATTACH PARTITION app.measurement_y2006m04
    FOR VALUES FROM ('2006-04-01') TO ('2006-05-01');
ALTER TABLE app.measurement DETACH PARTITION app.measurement_y2006m02;
INSERT INTO app.measurement VALUES (2, '2006-03-05', 35, 7);
INSERT INTO app.measurement_y2006m02 VALUES (1, '2006-02-10', 30, 5);
