CREATE SCHEMA app;

CREATE TABLE app.vehicles (id int PRIMARY KEY, wheels int NOT NULL);
CREATE TABLE app.trucks (payload_kg int) INHERITS (app.vehicles);
