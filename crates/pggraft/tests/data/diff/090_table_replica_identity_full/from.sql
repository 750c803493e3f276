CREATE SCHEMA app;

CREATE TABLE app.audit (id int, note text);
