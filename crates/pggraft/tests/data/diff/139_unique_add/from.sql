CREATE SCHEMA app;

CREATE TABLE app.t (id int PRIMARY KEY, email text);
INSERT INTO app.t VALUES (1, 'a@x'), (2, 'b@x');
