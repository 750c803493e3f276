CREATE SCHEMA app;

CREATE TABLE app.accounts (id int PRIMARY KEY, owner name NOT NULL DEFAULT current_user, balance numeric NOT NULL DEFAULT 0);

ALTER TABLE app.accounts ENABLE ROW LEVEL SECURITY;
CREATE POLICY accounts_owner ON app.accounts USING (owner = current_user);
