CREATE SCHEMA app;

CREATE TABLE app.lines (
    id int PRIMARY KEY,
    qty int NOT NULL,
    price numeric(10,2) NOT NULL,
    total numeric GENERATED ALWAYS AS (qty * price) STORED
);
INSERT INTO app.lines VALUES (1, 2, 3.50), (2, 1, 10);
