CREATE SCHEMA app;

CREATE TEXT SEARCH DICTIONARY app.stem (TEMPLATE = snowball, language = 'english');
CREATE TEXT SEARCH CONFIGURATION app.cfg (PARSER = pg_catalog."default");
ALTER TEXT SEARCH CONFIGURATION app.cfg ADD MAPPING FOR asciiword WITH app.stem;
