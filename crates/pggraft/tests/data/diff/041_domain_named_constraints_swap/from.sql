CREATE SCHEMA app;

CREATE DOMAIN app.code AS text
    CONSTRAINT code_not_empty CHECK (VALUE <> '')
    CONSTRAINT code_upper CHECK (VALUE = upper(VALUE));
