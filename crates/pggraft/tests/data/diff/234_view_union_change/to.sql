CREATE SCHEMA app;

CREATE TABLE app.a (id int, label text);
CREATE TABLE app.b (id int, label text);
CREATE VIEW app.ab AS SELECT id, label FROM app.a UNION ALL SELECT id, label FROM app.b;
