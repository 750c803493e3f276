CREATE SCHEMA app;

CREATE PROCEDURE app.swap(INOUT a int, INOUT b int) LANGUAGE plpgsql AS $$
DECLARE t int;
BEGIN
    t := a; a := b; b := t;
END
$$;
