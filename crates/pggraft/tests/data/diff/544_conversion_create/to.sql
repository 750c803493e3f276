CREATE SCHEMA app;
CREATE DEFAULT CONVERSION app.utf8_to_latin1 FOR 'UTF8' TO 'LATIN1' FROM utf8_to_iso8859_1;
COMMENT ON CONVERSION app.utf8_to_latin1 IS 'for old exports';
