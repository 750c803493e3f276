CREATE SCHEMA app;

CREATE DOMAIN app.name_t AS text;
CREATE TABLE app.people (id int PRIMARY KEY, name app.name_t);
INSERT INTO app.people VALUES (1, 'ann');
