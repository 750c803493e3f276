CREATE SCHEMA app;

CREATE TABLE app.notes (id int PRIMARY KEY, body text, created date);
CREATE TABLE app.accounts (id int PRIMARY KEY, plan text, mail text);
INSERT INTO app.notes VALUES (1, 'hello', '2024-01-01');
INSERT INTO app.accounts VALUES (1, 'free', 'a@x');
