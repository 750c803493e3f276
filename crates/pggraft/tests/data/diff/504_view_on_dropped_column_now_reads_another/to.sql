CREATE SCHEMA app;

CREATE TABLE app.foobar (id int PRIMARY KEY, buzz text);
CREATE VIEW app.foobar_view AS SELECT id, buzz FROM app.foobar;
CREATE VIEW app.foobar_count AS SELECT count(*) AS n, max(buzz) AS top FROM app.foobar_view;
INSERT INTO app.foobar VALUES (1, 'new'), (2, 'b');
