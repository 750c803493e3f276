CREATE SCHEMA app;

CREATE FUNCTION app.clamp(x int) RETURNS int LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
    RETURN greatest(0, least(100, x));
END
$$;
