CREATE SCHEMA app;

CREATE TABLE app.t (id int);
CREATE VIEW app.v AS SELECT id FROM app.t;
CREATE MATERIALIZED VIEW app.mv AS SELECT id FROM app.t;
GRANT SELECT ON app.v TO app_reader;
GRANT SELECT ON app.mv TO app_reader, "App Writer";
