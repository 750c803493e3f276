CREATE SCHEMA app;
CREATE TABLE app.price (id int PRIMARY KEY, amount int NOT NULL, code varchar(5), qty text);
INSERT INTO app.price VALUES (1, 10, 'a', '3'), (2, -7, 'bcdef', '0'), (3, 0, NULL, NULL);
