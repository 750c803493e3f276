CREATE SCHEMA app;

CREATE TYPE app.labels AS ENUM ('plain', 'with space', 'it''s', 'Ünïcødé', 'a,b', '"quoted"', '');
CREATE TABLE app.things (id int PRIMARY KEY, l app.labels DEFAULT 'it''s');
