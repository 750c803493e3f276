CREATE SCHEMA app;

GRANT USAGE ON SCHEMA app TO app_reader;
REVOKE USAGE ON SCHEMA app FROM app_reader;
CREATE TABLE app.b (id int PRIMARY KEY, label text);
COMMENT ON TABLE app.b IS 'bees';
GRANT SELECT ON app.b TO app_reader;
CREATE TABLE app.a (id int PRIMARY KEY, b_id int REFERENCES app.b (id));
GRANT SELECT ON app.a TO app_reader;
CREATE VIEW app.ab AS SELECT a.id, b.label FROM app.a JOIN app.b ON b.id = a.b_id;
CREATE INDEX a_b_id_idx ON app.a (b_id);
