CREATE SCHEMA app;

CREATE TABLE app.readings (sensor int NOT NULL, at timestamptz NOT NULL, value numeric) PARTITION BY RANGE (at);
CREATE TABLE app.readings_2024 PARTITION OF app.readings FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
CREATE TABLE app.readings_2025 PARTITION OF app.readings FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
ALTER TABLE app.readings_2024 ADD CONSTRAINT readings_2024_pkey PRIMARY KEY (sensor, at);
CREATE UNIQUE INDEX readings_2025_sensor_at_key ON app.readings_2025 (sensor, at);
ALTER TABLE app.readings ADD CONSTRAINT readings_pkey PRIMARY KEY (sensor, at);
INSERT INTO app.readings VALUES (1, '2024-06-01', 1.5), (1, '2025-06-01', 2.5);
