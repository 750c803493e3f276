CREATE SCHEMA app;

CREATE DOMAIN app.pct AS numeric(5,2);
CREATE TABLE app.rates (id int PRIMARY KEY, pct app.pct);
INSERT INTO app.rates VALUES (1, 12.5), (2, 99);
