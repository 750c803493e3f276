CREATE SCHEMA app;

CREATE SCHEMA other;
COMMENT ON SCHEMA other IS 'Scratch space';
