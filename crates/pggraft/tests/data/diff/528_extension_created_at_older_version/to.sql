CREATE SCHEMA app;

CREATE EXTENSION hstore WITH SCHEMA app VERSION '1.6';
CREATE TABLE app.users (id int PRIMARY KEY, email text NOT NULL, attrs app.hstore);
INSERT INTO app.users VALUES (1, 'Ann@Example.com', 'a=>1');
