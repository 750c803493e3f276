CREATE SCHEMA app;

CREATE COLLATION app.bytewise (provider = libc, locale = 'C');
CREATE TABLE app.words (id int PRIMARY KEY, word text COLLATE app.bytewise);
