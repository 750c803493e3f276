CREATE SCHEMA app;

CREATE TABLE app.t (id int PRIMARY KEY, code varchar(20));
INSERT INTO app.t VALUES (1, 'short'), (2, '0123456789');
