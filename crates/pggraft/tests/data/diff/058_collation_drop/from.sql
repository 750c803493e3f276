CREATE SCHEMA app;

CREATE COLLATION app.german (provider = icu, locale = 'de-DE');
