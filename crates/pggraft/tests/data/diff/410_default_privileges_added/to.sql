CREATE SCHEMA app;

CREATE TABLE app.old (id int PRIMARY KEY);

ALTER DEFAULT PRIVILEGES IN SCHEMA app GRANT SELECT ON TABLES TO app_reader;

-- Created after the default privileges: it has the grant, app.old does not.
CREATE TABLE app.new (id int PRIMARY KEY);
