CREATE SCHEMA app;

CREATE TABLE app.countries (id int PRIMARY KEY, iso char(2) NOT NULL CONSTRAINT countries_iso_key UNIQUE);
CREATE TABLE app.cities (id int PRIMARY KEY, country_iso char(2) REFERENCES app.countries (iso));
