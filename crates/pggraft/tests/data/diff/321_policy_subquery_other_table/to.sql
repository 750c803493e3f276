CREATE SCHEMA app;

CREATE TABLE app.accounts (id int PRIMARY KEY, owner name NOT NULL DEFAULT current_user, balance numeric NOT NULL DEFAULT 0);

CREATE TABLE app.members (username name PRIMARY KEY);
ALTER TABLE app.accounts ENABLE ROW LEVEL SECURITY;
CREATE POLICY accounts_members ON app.accounts
    USING (EXISTS (SELECT 1 FROM app.members m WHERE m.username = current_user));
