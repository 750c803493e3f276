CREATE SCHEMA app;

CREATE TABLE app.log (msg text);
CREATE PROCEDURE app.purge() LANGUAGE sql AS $$DELETE FROM app.log WHERE msg IS NULL$$;
