CREATE SCHEMA app;

CREATE TABLE app.countries (id int PRIMARY KEY, code char(2) NOT NULL UNIQUE);
CREATE TABLE app.cities (id int PRIMARY KEY, country_id int, country_code char(2),
    CONSTRAINT cities_country_fk FOREIGN KEY (country_code) REFERENCES app.countries (code));
