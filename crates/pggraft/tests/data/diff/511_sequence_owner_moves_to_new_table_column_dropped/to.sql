CREATE SCHEMA app;

CREATE SEQUENCE app.ticket_no;
CREATE TABLE app.tickets (id int PRIMARY KEY);
CREATE TABLE app.ticket_numbers (
    no bigint PRIMARY KEY DEFAULT nextval('app.ticket_no'),
    ticket_id int NOT NULL REFERENCES app.tickets
);
ALTER SEQUENCE app.ticket_no OWNED BY app.ticket_numbers.no;
INSERT INTO app.tickets (id) VALUES (1), (2);
