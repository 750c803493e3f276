CREATE SCHEMA app;

CREATE TABLE app."it's" ("say ""hi""" text DEFAULT 'O''Brien', "back\slash" int);
COMMENT ON TABLE app."it's" IS 'it''s "quoted"';
CREATE SEQUENCE app."seq""q";
