CREATE SCHEMA app;

CREATE FUNCTION app.greet(who text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
    RETURN 'Hello, ' || who;
END
$$;
