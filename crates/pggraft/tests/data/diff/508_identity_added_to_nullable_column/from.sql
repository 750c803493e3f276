CREATE SCHEMA app;

CREATE TABLE app.tickets (id bigint, subject text NOT NULL);
CREATE UNIQUE INDEX tickets_id_key ON app.tickets (id);
INSERT INTO app.tickets VALUES (1, 'first'), (7, 'seventh');
