CREATE SCHEMA app;

CREATE FUNCTION app.divmod(a int, b int, OUT q int, OUT r int) LANGUAGE sql IMMUTABLE AS 'SELECT a / b, a % b';
