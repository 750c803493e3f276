CREATE SCHEMA app;

CREATE SCHEMA other;
CREATE DOMAIN other.money_amount AS numeric(12,2) CHECK (VALUE >= 0);
CREATE FUNCTION other.rate() RETURNS numeric LANGUAGE sql IMMUTABLE AS 'SELECT 1.19';
CREATE TABLE app.items (id int PRIMARY KEY, price other.money_amount DEFAULT other.rate());
