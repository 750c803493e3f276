CREATE SCHEMA app;

CREATE TABLE app.hot (id int PRIMARY KEY, n int) WITH (fillfactor = 90, autovacuum_vacuum_scale_factor = 0.2);
