CREATE SCHEMA app;

CREATE TABLE app.notes (id int PRIMARY KEY, account_id int);
INSERT INTO app.notes VALUES (1, NULL), (2, NULL);
