CREATE SCHEMA app;

CREATE TABLE app.log (msg text, level int);
CREATE PROCEDURE app.add_log(m text, lvl int DEFAULT 0) LANGUAGE sql AS 'INSERT INTO app.log VALUES (m, lvl)';
