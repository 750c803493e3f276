CREATE EXTENSION postgres_fdw;
CREATE SERVER remote FOREIGN DATA WRAPPER postgres_fdw OPTIONS (host 'localhost', dbname 'elsewhere');
CREATE USER MAPPING FOR PUBLIC SERVER remote OPTIONS (user 'reader');
CREATE SCHEMA app;

CREATE FOREIGN TABLE app.items (
    id int NOT NULL,
    name text
) SERVER remote OPTIONS (table_name 'items');
CREATE VIEW app.named AS SELECT id, name FROM app.items;
