CREATE SCHEMA app;

CREATE DOMAIN app.currency AS char(3) DEFAULT 'EUR';
CREATE TABLE app.prices (id int PRIMARY KEY, currency app.currency);
