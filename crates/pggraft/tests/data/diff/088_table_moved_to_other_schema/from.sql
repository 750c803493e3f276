CREATE SCHEMA app;

CREATE SCHEMA other;
CREATE TABLE app.logs (id int PRIMARY KEY, line text);
