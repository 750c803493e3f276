CREATE SCHEMA app;

CREATE FUNCTION app.polymorphic_first(anyelement, anyelement) RETURNS anyelement LANGUAGE sql IMMUTABLE AS 'SELECT coalesce($1, $2)';
