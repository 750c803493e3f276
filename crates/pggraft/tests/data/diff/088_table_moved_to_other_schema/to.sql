CREATE SCHEMA app;

CREATE SCHEMA other;
CREATE TABLE other.logs (id int PRIMARY KEY, line text);
