CREATE SCHEMA app;

CREATE TABLE app.notes (id int PRIMARY KEY, author name NOT NULL DEFAULT current_user, body text);
ALTER TABLE app.notes ENABLE ROW LEVEL SECURITY;
ALTER TABLE app.notes FORCE ROW LEVEL SECURITY;
CREATE POLICY notes_read ON app.notes FOR SELECT USING (true);
CREATE POLICY notes_write ON app.notes FOR INSERT TO app_reader WITH CHECK (author = current_user);
