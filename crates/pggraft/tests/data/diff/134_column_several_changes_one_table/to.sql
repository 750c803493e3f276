CREATE SCHEMA app;

CREATE TABLE app.t (id int PRIMARY KEY, a bigint NOT NULL, b text, c varchar(50) DEFAULT 'y', d text, e date);
