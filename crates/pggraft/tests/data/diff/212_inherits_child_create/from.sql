CREATE SCHEMA app;

CREATE TABLE app.vehicles (id int PRIMARY KEY, wheels int NOT NULL);
