CREATE SCHEMA app;

CREATE SEQUENCE app.ticket_code START 100;
CREATE TABLE app.tickets (id bigint PRIMARY KEY, code bigint DEFAULT nextval('app.ticket_code'));
