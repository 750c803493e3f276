CREATE SCHEMA app;

CREATE TABLE app.t (id int PRIMARY KEY);

CREATE SCHEMA other;
CREATE TABLE other.notes (id int PRIMARY KEY, body text);
CREATE VIEW other.note_bodies AS SELECT body FROM other.notes;
CREATE FUNCTION other.note_count() RETURNS bigint LANGUAGE sql AS 'SELECT count(*) FROM other.notes';
INSERT INTO other.notes VALUES (1, 'hello');
