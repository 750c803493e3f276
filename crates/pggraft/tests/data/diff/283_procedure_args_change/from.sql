CREATE SCHEMA app;

CREATE TABLE app.log (msg text, level int);
CREATE PROCEDURE app.add_log(m text) LANGUAGE sql AS 'INSERT INTO app.log (msg) VALUES (m)';
