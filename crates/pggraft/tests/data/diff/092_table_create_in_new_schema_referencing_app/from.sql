CREATE SCHEMA app;

CREATE TABLE app.accounts (id int PRIMARY KEY);
