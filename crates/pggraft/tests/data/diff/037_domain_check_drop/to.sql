CREATE SCHEMA app;

CREATE DOMAIN app.pct AS numeric(5,2);
