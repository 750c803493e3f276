CREATE SCHEMA app;

CREATE TYPE app.stage AS ENUM ('todo', 'doing', 'done');
CREATE TABLE app.cards (
    id int PRIMARY KEY,
    stage app.stage NOT NULL,
    CONSTRAINT cards_stage_check CHECK (stage <> 'done' OR id > 0)
);
CREATE INDEX cards_stage_idx ON app.cards (stage);
