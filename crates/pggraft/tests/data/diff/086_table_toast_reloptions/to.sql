CREATE SCHEMA app;

CREATE TABLE app.blobs (id int PRIMARY KEY, body text) WITH (toast.autovacuum_enabled = false);
