CREATE SCHEMA app;

CREATE TABLE app.accounts (id int PRIMARY KEY, owner name NOT NULL DEFAULT current_user, balance numeric NOT NULL DEFAULT 0);

ALTER TABLE app.accounts ENABLE ROW LEVEL SECURITY;
