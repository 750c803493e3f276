CREATE SCHEMA app;
CREATE TABLE app.t (id bigint PRIMARY KEY, v text);
CREATE VIEW app.v AS SELECT id, v FROM app.t;
CREATE VIEW app.vv AS SELECT * FROM app.v;
