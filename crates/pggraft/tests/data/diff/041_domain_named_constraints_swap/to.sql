CREATE SCHEMA app;

CREATE DOMAIN app.code AS text
    CONSTRAINT code_not_empty CHECK (VALUE <> '')
    CONSTRAINT code_short CHECK (length(VALUE) <= 8);
