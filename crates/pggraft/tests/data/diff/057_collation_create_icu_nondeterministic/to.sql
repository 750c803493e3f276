CREATE SCHEMA app;

CREATE COLLATION app.case_insensitive (provider = icu, locale = 'und-u-ks-level2', deterministic = false);
CREATE TABLE app.tags (id int PRIMARY KEY, name text COLLATE app.case_insensitive);
