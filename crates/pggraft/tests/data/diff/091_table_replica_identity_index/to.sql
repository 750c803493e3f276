CREATE SCHEMA app;

CREATE TABLE app.audit (id int NOT NULL, note text);
CREATE UNIQUE INDEX audit_id_key ON app.audit (id);
ALTER TABLE app.audit REPLICA IDENTITY USING INDEX audit_id_key;
