CREATE SCHEMA app;

CREATE TABLE app.t (id int PRIMARY KEY, amount numeric(10,2));
INSERT INTO app.t VALUES (1, 12345678.91);
