CREATE SCHEMA app;

CREATE TYPE app.prio AS ENUM ('high', 'low', 'medium');
CREATE TABLE app.tasks (id int PRIMARY KEY, prio app.prio NOT NULL DEFAULT 'medium');
CREATE INDEX tasks_prio_idx ON app.tasks (prio);
CREATE INDEX tasks_urgent_idx ON app.tasks (id) WHERE prio = 'high';
INSERT INTO app.tasks VALUES (1, 'high'), (2, 'low');
