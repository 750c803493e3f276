CREATE SCHEMA app;

CREATE TABLE app.audit (id int, note text);
ALTER TABLE app.audit REPLICA IDENTITY FULL;
