CREATE SCHEMA app;

CREATE TABLE app.people (id int PRIMARY KEY, name text, nickname text);
CREATE VIEW app.nicknames AS SELECT id, nickname FROM app.people;
CREATE VIEW app.names AS SELECT id, name FROM app.people;
