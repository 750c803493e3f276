CREATE SCHEMA app;

CREATE DOMAIN app.flag AS boolean;
