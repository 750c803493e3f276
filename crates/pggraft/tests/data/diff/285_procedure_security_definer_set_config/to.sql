CREATE SCHEMA app;

CREATE PROCEDURE app.maintain() LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$BEGIN PERFORM 1; END$$;
