CREATE SCHEMA app;

CREATE SEQUENCE app.invoice_no START 1000;
SELECT nextval('app.invoice_no');
