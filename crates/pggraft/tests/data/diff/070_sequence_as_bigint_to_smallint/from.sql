CREATE SCHEMA app;

CREATE SEQUENCE app.s;
SELECT nextval('app.s');
