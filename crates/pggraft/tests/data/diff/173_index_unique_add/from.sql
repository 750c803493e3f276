CREATE SCHEMA app;

CREATE TABLE app.t (id int PRIMARY KEY, code text);
INSERT INTO app.t VALUES (1, 'a'), (2, 'b');
