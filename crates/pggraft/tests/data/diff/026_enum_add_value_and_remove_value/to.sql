CREATE SCHEMA app;

CREATE TYPE app.channel AS ENUM ('email', 'sms', 'push');
CREATE TABLE app.contacts (id int PRIMARY KEY, channel app.channel NOT NULL);
