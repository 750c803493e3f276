CREATE SCHEMA app;
CREATE TABLE app.events (id int NOT NULL, at date NOT NULL);
INSERT INTO app.events VALUES (1, '2024-03-01'), (2, '2025-06-30');
