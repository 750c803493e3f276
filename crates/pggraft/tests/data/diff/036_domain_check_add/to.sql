CREATE SCHEMA app;

CREATE DOMAIN app.pct AS numeric(5,2) CONSTRAINT pct_range CHECK (VALUE BETWEEN 0 AND 100);
CREATE TABLE app.rates (id int PRIMARY KEY, pct app.pct);
