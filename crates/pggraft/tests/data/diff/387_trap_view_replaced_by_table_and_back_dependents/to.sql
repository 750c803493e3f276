CREATE SCHEMA app;

CREATE TABLE app.src (id int, v text);
CREATE TABLE app.thing (id int, v text);
CREATE VIEW app.thing_ids AS SELECT id FROM app.thing;
