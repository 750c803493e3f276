CREATE SCHEMA app;

CREATE TYPE app.state AS ENUM ('draft', 'active', 'archived', 'legacy');
CREATE TABLE app.docs (id int PRIMARY KEY, state app.state NOT NULL DEFAULT 'draft');
INSERT INTO app.docs VALUES (1, 'draft'), (2, 'active'), (3, 'archived');
