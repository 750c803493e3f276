CREATE SCHEMA app;

CREATE TABLE app.t (id int PRIMARY KEY, token text);
CREATE INDEX t_token_idx ON app.t USING hash (token);
