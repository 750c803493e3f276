CREATE SCHEMA app;
CREATE TABLE app.users (id int PRIMARY KEY, name text NOT NULL, legacy_flag boolean);
INSERT INTO app.users VALUES (1, 'ada', true), (2, 'grace', NULL);
