CREATE SCHEMA app;

CREATE TABLE app.t (id int PRIMARY KEY, code text);
CREATE UNIQUE INDEX t_code_key ON app.t (code);
