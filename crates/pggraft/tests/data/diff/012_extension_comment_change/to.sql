CREATE SCHEMA app;

CREATE EXTENSION hstore;
COMMENT ON EXTENSION hstore IS 'key/value pairs, used by app.settings';
