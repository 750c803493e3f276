CREATE EXTENSION postgres_fdw;
CREATE SERVER remote FOREIGN DATA WRAPPER postgres_fdw OPTIONS (host 'localhost', dbname 'elsewhere');
CREATE USER MAPPING FOR PUBLIC SERVER remote OPTIONS (user 'reader');
CREATE SCHEMA app;

CREATE FOREIGN TABLE app.items (
    id int OPTIONS (column_name 'item_id') NOT NULL,
    name text,
    price numeric DEFAULT 0 CHECK (price >= 0)
) SERVER remote OPTIONS (schema_name 'public', table_name 'items');
COMMENT ON FOREIGN TABLE app.items IS 'kept elsewhere';
CREATE VIEW app.cheap AS SELECT id, name FROM app.items WHERE price < 10;
