CREATE SCHEMA app;

CREATE TABLE app.addresses (id int PRIMARY KEY, city text, zip text, country text);

CREATE STATISTICS app.addresses_lower_city ON (lower(city)) FROM app.addresses;
CREATE STATISTICS app.addresses_mixed (mcv) ON (lower(city)), country FROM app.addresses;
