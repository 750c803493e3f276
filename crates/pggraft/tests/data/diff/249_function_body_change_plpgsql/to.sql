CREATE SCHEMA app;

CREATE FUNCTION app.greet(who text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
    IF who IS NULL THEN
        RETURN 'Hello, stranger';
    END IF;
    RETURN 'Hello, ' || who || '!';
END
$$;
