CREATE SCHEMA app;

CREATE TABLE app.logs (id bigint NOT NULL, at date NOT NULL, msg text) PARTITION BY RANGE (at);
CREATE TABLE app.logs_2025 PARTITION OF app.logs FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
CREATE INDEX logs_at_idx ON app.logs (at);
ALTER TABLE app.logs ADD CONSTRAINT logs_pkey PRIMARY KEY (id, at);
CREATE TABLE app.logs_2024 (id bigint NOT NULL, at date NOT NULL, msg text);
CREATE INDEX logs_2024_at_idx ON app.logs_2024 (at);
ALTER TABLE app.logs_2024 ADD CONSTRAINT logs_2024_pkey PRIMARY KEY (id, at);
INSERT INTO app.logs VALUES (1, '2025-02-01', 'new');
INSERT INTO app.logs_2024 VALUES (2, '2024-02-01', 'old');
