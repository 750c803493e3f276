CREATE SCHEMA app;

CREATE TABLE app.accounts (id int PRIMARY KEY, balance numeric NOT NULL);
