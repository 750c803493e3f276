CREATE SCHEMA app;

CREATE TYPE app.tag AS ENUM ('b', 'a', 'c');
CREATE TABLE app.posts (id int PRIMARY KEY, tags app.tag[] NOT NULL DEFAULT '{}');
INSERT INTO app.posts VALUES (1, '{a,b}'), (2, '{c}');
