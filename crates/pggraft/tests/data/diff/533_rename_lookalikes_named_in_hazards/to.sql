CREATE SCHEMA app;

CREATE TABLE app.memos (id int PRIMARY KEY, body text, created date);
CREATE TABLE app.accounts (id int PRIMARY KEY, plan text, email text);
