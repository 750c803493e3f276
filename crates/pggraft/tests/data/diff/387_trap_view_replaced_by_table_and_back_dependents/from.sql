CREATE SCHEMA app;

CREATE TABLE app.src (id int, v text);
CREATE VIEW app.thing AS SELECT id, v FROM app.src;
CREATE VIEW app.thing_ids AS SELECT id FROM app.thing;
