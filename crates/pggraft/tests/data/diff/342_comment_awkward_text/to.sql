CREATE SCHEMA app;

CREATE TABLE app.t (id int);
COMMENT ON TABLE app.t IS E'It''s "quoted", multi-line:\nline 2 \\ backslash; ünïcødé ✓ $$ dollar';
