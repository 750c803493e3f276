CREATE SCHEMA app;

CREATE TYPE app.tag AS ENUM ('a', 'b', 'c');
CREATE TABLE app.posts (id int PRIMARY KEY, tags app.tag[] NOT NULL DEFAULT '{}');
