CREATE SCHEMA app;

CREATE SCHEMA other;
CREATE TYPE other.priority AS ENUM ('low', 'normal', 'high');
CREATE TABLE app.tasks (id int PRIMARY KEY, title text, priority other.priority NOT NULL DEFAULT 'normal');
