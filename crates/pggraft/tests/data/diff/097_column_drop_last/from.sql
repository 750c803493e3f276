CREATE SCHEMA app;

CREATE TABLE app.t (id int PRIMARY KEY, a text, obsolete text);
INSERT INTO app.t VALUES (1, 'x', 'gone');
