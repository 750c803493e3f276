CREATE SCHEMA app;

CREATE TABLE app.log (id bigint GENERATED ALWAYS AS IDENTITY, msg text);
CREATE PROCEDURE app.log_msg(m text) LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO app.log (msg) VALUES (m);
END
$$;
