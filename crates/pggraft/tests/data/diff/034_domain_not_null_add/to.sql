CREATE SCHEMA app;

CREATE DOMAIN app.name_t AS text NOT NULL;
CREATE TABLE app.people (id int PRIMARY KEY, name app.name_t);
