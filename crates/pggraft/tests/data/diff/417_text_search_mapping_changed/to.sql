CREATE SCHEMA app;

CREATE TEXT SEARCH CONFIGURATION app.cfg (COPY = pg_catalog.english);
ALTER TEXT SEARCH CONFIGURATION app.cfg ALTER MAPPING FOR asciiword, word WITH simple;
CREATE TABLE app.docs (id int PRIMARY KEY, body text);
CREATE INDEX docs_fts ON app.docs USING gin (to_tsvector('app.cfg'::regconfig, body));
