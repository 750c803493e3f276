CREATE SCHEMA app;

CREATE TABLE app.audit (id bigint NOT NULL, at timestamptz NOT NULL, what text);
CREATE INDEX audit_at_idx ON app.audit (at);
INSERT INTO app.audit VALUES (1, '2024-05-05', 'login'), (2, '2026-01-01', 'logout');
