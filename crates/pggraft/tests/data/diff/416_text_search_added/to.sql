CREATE SCHEMA app;

CREATE TABLE app.docs (id int PRIMARY KEY, body text);

CREATE TEXT SEARCH DICTIONARY app.stem (TEMPLATE = snowball, language = 'english');
CREATE TEXT SEARCH CONFIGURATION app.cfg (COPY = pg_catalog.simple);
ALTER TEXT SEARCH CONFIGURATION app.cfg ALTER MAPPING FOR asciiword WITH app.stem, simple;
COMMENT ON TEXT SEARCH CONFIGURATION app.cfg IS 'docs search';
CREATE INDEX docs_fts ON app.docs USING gin (to_tsvector('app.cfg'::regconfig, body));
