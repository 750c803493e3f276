CREATE SCHEMA app;

CREATE TABLE app.vehicles (id int NOT NULL, wheels int NOT NULL);
CREATE TABLE app.trucks (payload_kg int) INHERITS (app.vehicles);
INSERT INTO app.trucks VALUES (1, 6, 1000);
