CREATE SCHEMA app;

CREATE TABLE app.addresses (id int PRIMARY KEY, city text, zip text, country text);

CREATE STATISTICS app.addresses_city_zip (ndistinct, mcv) ON city, zip FROM app.addresses;
