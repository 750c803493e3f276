CREATE SCHEMA app;

CREATE SEQUENCE app.ticket_no;
CREATE TABLE app.tickets (id int PRIMARY KEY, legacy_no bigint DEFAULT nextval('app.ticket_no'));
ALTER SEQUENCE app.ticket_no OWNED BY app.tickets.legacy_no;
INSERT INTO app.tickets (id) VALUES (1), (2);
