CREATE SCHEMA app;

CREATE TABLE app.lines (
    id int PRIMARY KEY,
    qty int NOT NULL,
    price numeric(10,2) NOT NULL,
    total numeric GENERATED ALWAYS AS (qty * price) STORED
);
CREATE VIEW app.line_totals AS SELECT id, total FROM app.lines;
CREATE VIEW app.grand_total AS SELECT sum(total) AS total FROM app.line_totals;
INSERT INTO app.lines VALUES (1, 2, 3.50), (2, 1, 10);
