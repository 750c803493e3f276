CREATE SCHEMA app;

CREATE SEQUENCE app.invoice_number_seq AS integer START 1000;
CREATE TABLE app.invoices (id int PRIMARY KEY, number int NOT NULL DEFAULT nextval('app.invoice_number_seq'));
ALTER SEQUENCE app.invoice_number_seq OWNED BY app.invoices.number;
