CREATE SCHEMA app;

CREATE DOMAIN app.email AS text CHECK (VALUE ~ '@');
