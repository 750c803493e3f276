CREATE SCHEMA app;
CREATE TABLE app.t (id int PRIMARY KEY, v varchar(10));
CREATE VIEW app.v AS SELECT id, v FROM app.t;
CREATE VIEW app.vv AS SELECT * FROM app.v;
INSERT INTO app.t VALUES (1, 'x');
