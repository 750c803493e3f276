CREATE SCHEMA app;

CREATE TABLE app.tickets (id bigint GENERATED ALWAYS AS IDENTITY, subject text NOT NULL);
CREATE UNIQUE INDEX tickets_id_key ON app.tickets (id);
INSERT INTO app.tickets (subject) VALUES ('first'), ('second');
