CREATE SCHEMA app;

CREATE TABLE app.people (
    id int PRIMARY KEY,
    first text NOT NULL,
    last text NOT NULL,
    display text GENERATED ALWAYS AS (last || ', ' || first) STORED,
    initials text GENERATED ALWAYS AS (left(first, 1) || left(last, 1)) STORED,
    born date,
    born_year int GENERATED ALWAYS AS (extract(year FROM born)::int) STORED,
    search tsvector GENERATED ALWAYS AS (to_tsvector('simple', first || ' ' || last)) STORED
);
INSERT INTO app.people (id, first, last, born) VALUES (1, 'Ann', 'Lee', '1990-04-01'), (2, 'Bo', 'Kim', NULL);
