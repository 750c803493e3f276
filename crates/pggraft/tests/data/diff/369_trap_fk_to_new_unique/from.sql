CREATE SCHEMA app;

CREATE TABLE app.countries (id int PRIMARY KEY, iso char(2) NOT NULL);
CREATE TABLE app.cities (id int PRIMARY KEY, country_iso char(2));
INSERT INTO app.countries VALUES (1, 'DE');
INSERT INTO app.cities VALUES (1, 'DE');
