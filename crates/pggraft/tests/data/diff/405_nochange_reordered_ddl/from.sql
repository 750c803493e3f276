CREATE SCHEMA app;

CREATE TABLE app.a (id int PRIMARY KEY, b_id int);
CREATE TABLE app.b (id int PRIMARY KEY, label text);
ALTER TABLE app.a ADD CONSTRAINT a_b_id_fkey FOREIGN KEY (b_id) REFERENCES app.b (id);
CREATE INDEX a_b_id_idx ON app.a (b_id);
CREATE VIEW app.ab AS SELECT a.id, b.label FROM app.a JOIN app.b ON b.id = a.b_id;
COMMENT ON TABLE app.b IS 'bees';
GRANT SELECT ON app.a, app.b TO app_reader;
