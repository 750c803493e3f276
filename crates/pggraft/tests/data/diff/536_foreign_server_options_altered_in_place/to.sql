CREATE EXTENSION postgres_fdw;
CREATE SERVER remote FOREIGN DATA WRAPPER postgres_fdw OPTIONS (host 'db2', port '5433');
CREATE USER MAPPING FOR PUBLIC SERVER remote OPTIONS (user 'writer', sslcert 'client.crt');
CREATE SCHEMA app;
CREATE FOREIGN TABLE app.items (id int) SERVER remote;
