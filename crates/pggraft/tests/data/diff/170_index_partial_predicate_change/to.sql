CREATE SCHEMA app;

CREATE TABLE app.t (id int PRIMARY KEY, email text, deleted_at timestamptz, active boolean);
CREATE INDEX t_live_email_idx ON app.t (email) WHERE deleted_at IS NULL AND active;
