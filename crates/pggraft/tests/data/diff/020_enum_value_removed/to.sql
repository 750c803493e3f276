CREATE SCHEMA app;

CREATE TYPE app.state AS ENUM ('draft', 'active', 'archived');
CREATE TABLE app.docs (id int PRIMARY KEY, state app.state NOT NULL DEFAULT 'draft');
