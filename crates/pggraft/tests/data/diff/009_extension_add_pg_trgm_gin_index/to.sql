CREATE SCHEMA app;

CREATE EXTENSION pg_trgm;
CREATE TABLE app.docs (id int PRIMARY KEY, title text NOT NULL);
CREATE INDEX docs_title_trgm ON app.docs USING gin (title public.gin_trgm_ops);
