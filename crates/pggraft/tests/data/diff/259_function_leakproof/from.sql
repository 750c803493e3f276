CREATE SCHEMA app;

CREATE FUNCTION app.eq_text(a text, b text) RETURNS boolean LANGUAGE sql IMMUTABLE AS 'SELECT a = b';
