CREATE SCHEMA app;

CREATE COLLATION app.sorting (provider = icu, locale = 'de-DE');
CREATE TABLE app.names (id int PRIMARY KEY, name text COLLATE app.sorting);
INSERT INTO app.names VALUES (1, 'Äpfel'), (2, 'Zoo');
