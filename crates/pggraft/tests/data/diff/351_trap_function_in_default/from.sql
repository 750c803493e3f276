CREATE SCHEMA app;

CREATE TABLE app.tickets (id int PRIMARY KEY, code text);
INSERT INTO app.tickets VALUES (1, 'A');
