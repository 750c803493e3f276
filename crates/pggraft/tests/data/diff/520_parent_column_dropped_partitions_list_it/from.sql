CREATE SCHEMA app;

CREATE TABLE app.metrics (id bigint NOT NULL, day date NOT NULL, host text, legacy_tag text) PARTITION BY RANGE (day);
CREATE TABLE app.metrics_a PARTITION OF app.metrics FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
CREATE TABLE app.metrics_b (id bigint NOT NULL, day date NOT NULL, host text, legacy_tag text);
ALTER TABLE app.metrics ATTACH PARTITION app.metrics_b FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
CREATE INDEX metrics_b_legacy_idx ON app.metrics_b (legacy_tag);
CREATE VIEW app.metrics_b_tags AS SELECT id, legacy_tag FROM app.metrics_b;
INSERT INTO app.metrics VALUES (1, '2024-03-01', 'h1', 'x'), (2, '2025-03-01', 'h2', 'y');
