CREATE SCHEMA app;

CREATE TABLE app.t (id int PRIMARY KEY, valid daterange);
CREATE INDEX t_valid_idx ON app.t USING gist (valid);
