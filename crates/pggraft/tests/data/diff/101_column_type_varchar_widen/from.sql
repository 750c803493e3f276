CREATE SCHEMA app;

CREATE TABLE app.t (id int PRIMARY KEY, code varchar(10));
INSERT INTO app.t VALUES (1, 'abc');
