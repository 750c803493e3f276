CREATE SCHEMA app;

CREATE TYPE app.stage AS ENUM ('done', 'todo', 'doing');
CREATE TABLE app.cards (
    id int PRIMARY KEY,
    stage app.stage NOT NULL,
    CONSTRAINT cards_stage_check CHECK (stage <> 'done' OR id > 0)
);
CREATE INDEX cards_stage_idx ON app.cards (stage);
INSERT INTO app.cards VALUES (1, 'todo'), (2, 'done');
