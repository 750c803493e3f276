CREATE SCHEMA app;
CREATE TYPE app.label;
CREATE FUNCTION app.label_in(cstring) RETURNS app.label
    LANGUAGE internal IMMUTABLE STRICT AS 'textin';
CREATE FUNCTION app.label_out(app.label) RETURNS cstring
    LANGUAGE internal IMMUTABLE STRICT AS 'textout';
CREATE TYPE app.label (INPUT = app.label_in, OUTPUT = app.label_out,
    INTERNALLENGTH = variable, STORAGE = extended, COLLATABLE = true);
COMMENT ON TYPE app.label IS 'text by another name';
CREATE TYPE app.later;
CREATE TABLE app.tags (id int PRIMARY KEY, name app.label);
INSERT INTO app.tags VALUES (1), (2);
