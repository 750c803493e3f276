CREATE SCHEMA app;

CREATE FUNCTION app."Get Total"(x int) RETURNS int LANGUAGE sql AS 'SELECT x + 1';
CREATE FUNCTION app."Get Total"("the ""value""" numeric) RETURNS numeric LANGUAGE sql AS 'SELECT $1';
CREATE PROCEDURE app."do it!"() LANGUAGE sql AS 'SELECT 1';
