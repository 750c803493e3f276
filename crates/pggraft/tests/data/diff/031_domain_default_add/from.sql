CREATE SCHEMA app;

CREATE DOMAIN app.currency AS char(3);
