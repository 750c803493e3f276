CREATE SCHEMA app;

CREATE TABLE app.t (id int PRIMARY KEY, tags text[]);
CREATE INDEX t_tags_idx ON app.t USING gin (tags);
