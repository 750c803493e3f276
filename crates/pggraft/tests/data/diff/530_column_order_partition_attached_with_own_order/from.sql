CREATE SCHEMA app;

CREATE TABLE app.events (id bigint NOT NULL, at date NOT NULL, body text) PARTITION BY RANGE (at);
CREATE TABLE app.events_2025 PARTITION OF app.events FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
INSERT INTO app.events VALUES (1, '2025-02-01', 'x');
