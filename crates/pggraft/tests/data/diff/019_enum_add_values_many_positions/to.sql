CREATE SCHEMA app;

CREATE TYPE app.size AS ENUM ('xs', 's', 'm', 'l', 'xl', 'xxl');
