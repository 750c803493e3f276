CREATE EXTENSION postgres_fdw;
CREATE SERVER remote FOREIGN DATA WRAPPER postgres_fdw OPTIONS (host 'localhost', dbname 'elsewhere');
CREATE USER MAPPING FOR PUBLIC SERVER remote OPTIONS (user 'reader');
CREATE SCHEMA app;

CREATE FOREIGN TABLE app.items (
    id int OPTIONS (column_name 'item_id') NOT NULL,
    name text,
    added date
) SERVER remote OPTIONS (schema_name 'shop', table_name 'items_v2');
CREATE VIEW app.named AS SELECT id, name FROM app.items;
