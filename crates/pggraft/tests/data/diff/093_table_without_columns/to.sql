CREATE SCHEMA app;

CREATE TABLE app.marker ();
