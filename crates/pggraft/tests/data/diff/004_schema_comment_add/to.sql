CREATE SCHEMA app;

CREATE TABLE app.t (id int);
COMMENT ON SCHEMA app IS 'Application objects';
