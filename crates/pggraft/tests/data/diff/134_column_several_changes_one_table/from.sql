CREATE SCHEMA app;

CREATE TABLE app.t (id int PRIMARY KEY, a int, b text NOT NULL, c varchar(5) DEFAULT 'x', d text);
INSERT INTO app.t VALUES (1, 1, 'b', 'c', 'd');
