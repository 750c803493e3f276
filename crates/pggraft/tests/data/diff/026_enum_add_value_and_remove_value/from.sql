CREATE SCHEMA app;

CREATE TYPE app.channel AS ENUM ('email', 'fax', 'sms');
CREATE TABLE app.contacts (id int PRIMARY KEY, channel app.channel NOT NULL);
INSERT INTO app.contacts VALUES (1, 'email'), (2, 'sms');
