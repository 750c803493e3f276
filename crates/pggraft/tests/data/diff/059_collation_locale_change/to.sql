CREATE SCHEMA app;

CREATE COLLATION app.nordic (provider = icu, locale = 'nb-NO');
