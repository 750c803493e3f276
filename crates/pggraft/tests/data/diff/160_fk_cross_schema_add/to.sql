CREATE SCHEMA app;

CREATE SCHEMA other;
CREATE TABLE other.regions (id int PRIMARY KEY);
CREATE TABLE app.stores (id int PRIMARY KEY, region_id int REFERENCES other.regions (id));
