CREATE SCHEMA app;

CREATE DOMAIN app.currency AS char(3) DEFAULT 'USD';
CREATE TABLE app.prices (id int PRIMARY KEY, currency app.currency);
