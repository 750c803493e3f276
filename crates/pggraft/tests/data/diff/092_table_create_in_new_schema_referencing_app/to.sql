CREATE SCHEMA app;

CREATE TABLE app.accounts (id int PRIMARY KEY);
CREATE SCHEMA other;
CREATE TABLE other.account_notes (
    id int PRIMARY KEY,
    account_id int NOT NULL REFERENCES app.accounts (id),
    note text
);
