CREATE SCHEMA app;

CREATE TABLE app.audit (id bigint NOT NULL, at timestamptz NOT NULL, what text) PARTITION BY RANGE (at);
CREATE TABLE app.audit_2024 PARTITION OF app.audit FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
CREATE TABLE app.audit_rest PARTITION OF app.audit DEFAULT;
CREATE INDEX audit_at_idx ON app.audit (at);
INSERT INTO app.audit VALUES (1, '2024-05-05', 'login'), (2, '2026-01-01', 'logout');
