CREATE SCHEMA app;

CREATE TABLE app.tickets (id bigint PRIMARY KEY, code bigint);
INSERT INTO app.tickets VALUES (1, 10);
