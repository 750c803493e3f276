CREATE SCHEMA app;

CREATE TABLE app.counters (name text PRIMARY KEY, n bigint NOT NULL DEFAULT 0);
CREATE PROCEDURE app.bump(c text)
LANGUAGE sql
BEGIN ATOMIC
    UPDATE app.counters SET n = n + 1 WHERE name = c;
END;
