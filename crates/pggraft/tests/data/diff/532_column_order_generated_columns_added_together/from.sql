CREATE SCHEMA app;

CREATE TABLE app.people (
    id int PRIMARY KEY,
    first text NOT NULL,
    last text NOT NULL,
    display text GENERATED ALWAYS AS (first || ' ' || last) STORED
);
INSERT INTO app.people VALUES (1, 'Ann', 'Lee'), (2, 'Bo', 'Kim');
