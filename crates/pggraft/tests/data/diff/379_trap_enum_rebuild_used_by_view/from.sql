CREATE SCHEMA app;

CREATE TYPE app.prio AS ENUM ('high', 'low');
CREATE TABLE app.tasks (id int PRIMARY KEY, prio app.prio);
CREATE VIEW app.urgent AS SELECT id FROM app.tasks WHERE prio = 'high';
