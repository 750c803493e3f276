CREATE SCHEMA app;
CREATE TABLE app.r (id int PRIMARY KEY);
CREATE TABLE app.t (id int PRIMARY KEY, v int NOT NULL CHECK (v > 0), r int REFERENCES app.r);
CREATE INDEX t_v ON app.t (v);
