CREATE SCHEMA app;

CREATE EXTENSION pg_trgm WITH SCHEMA public;
CREATE TABLE app.docs (id int PRIMARY KEY, title text NOT NULL);
CREATE INDEX docs_title_trgm ON app.docs USING gin (title public.gin_trgm_ops);
CREATE FUNCTION app.like_title(q text) RETURNS real LANGUAGE sql STABLE
BEGIN ATOMIC
    SELECT max(public.similarity(title, q)) FROM app.docs;
END;
INSERT INTO app.docs VALUES (1, 'hello world'), (2, 'goodbye');
