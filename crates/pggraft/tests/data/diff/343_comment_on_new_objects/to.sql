CREATE SCHEMA app;

CREATE TABLE app.t (id int CONSTRAINT t_id_check CHECK (id > 0));
COMMENT ON TABLE app.t IS 'new table';
COMMENT ON COLUMN app.t.id IS 'new column';
COMMENT ON CONSTRAINT t_id_check ON app.t IS 'new check';
