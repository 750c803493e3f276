CREATE SCHEMA app;

CREATE COLLATION app.sorting (provider = icu, locale = 'sv-SE');
CREATE TABLE app.names (id int PRIMARY KEY, name text COLLATE app.sorting);
