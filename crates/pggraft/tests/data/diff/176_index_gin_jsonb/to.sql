CREATE SCHEMA app;

CREATE TABLE app.t (id int PRIMARY KEY, attrs jsonb);
CREATE INDEX t_attrs_idx ON app.t USING gin (attrs jsonb_path_ops);
