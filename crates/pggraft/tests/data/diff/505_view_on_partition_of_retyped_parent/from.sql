CREATE SCHEMA app;

CREATE TABLE app.events (id bigint NOT NULL, at date NOT NULL, amount int) PARTITION BY RANGE (at);
CREATE TABLE app.events_2024 PARTITION OF app.events FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
CREATE TABLE app.events_2025 PARTITION OF app.events FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
CREATE VIEW app.big_2024 AS SELECT id, amount FROM app.events_2024 WHERE amount > 100;
CREATE MATERIALIZED VIEW app.totals_2025 AS SELECT sum(amount) AS total FROM app.events_2025;
CREATE VIEW app.all_events AS SELECT id, at, amount FROM app.events;
INSERT INTO app.events VALUES (1, '2024-02-01', 50), (2, '2025-03-01', 500);
