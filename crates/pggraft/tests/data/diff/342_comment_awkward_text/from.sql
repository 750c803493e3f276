CREATE SCHEMA app;

CREATE TABLE app.t (id int);
COMMENT ON TABLE app.t IS 'plain';
