CREATE SCHEMA app;

CREATE TABLE app.measurements (id bigint NOT NULL, taken_on date NOT NULL, value numeric) PARTITION BY RANGE (taken_on);
CREATE TABLE app.measurements_2023 PARTITION OF app.measurements FOR VALUES FROM ('2023-01-01') TO ('2024-01-01');
CREATE TABLE app.measurements_2024 PARTITION OF app.measurements FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');

ALTER TABLE app.measurements_2024 SET (fillfactor = 80);
