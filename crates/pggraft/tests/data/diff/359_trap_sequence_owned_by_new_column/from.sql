CREATE SCHEMA app;

CREATE TABLE app.invoices (id int PRIMARY KEY);
INSERT INTO app.invoices VALUES (1), (2);
