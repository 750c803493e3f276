CREATE SCHEMA app;

CREATE TABLE app.readings (id int PRIMARY KEY, value real);
CREATE VIEW app.v1 AS SELECT id, value FROM app.readings;
CREATE VIEW app.v2 AS SELECT id, value * 2 AS doubled FROM app.v1;
CREATE VIEW app.v3 AS SELECT max(doubled) AS top FROM app.v2;
CREATE VIEW app.unrelated AS SELECT id FROM app.readings;
