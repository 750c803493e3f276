CREATE SCHEMA app;

CREATE TABLE app.addresses (id int PRIMARY KEY, city text, zip text, country text);

CREATE STATISTICS app.addresses_geo ON city, zip, country FROM app.addresses;
