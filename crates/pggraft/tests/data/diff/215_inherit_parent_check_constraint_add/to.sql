CREATE SCHEMA app;

CREATE TABLE app.vehicles (id int NOT NULL, wheels int NOT NULL, CONSTRAINT vehicles_wheels_check CHECK (wheels > 0));
CREATE TABLE app.trucks (payload_kg int) INHERITS (app.vehicles);
