CREATE SCHEMA app;

CREATE TABLE app.clients (id int PRIMARY KEY, name text);
CREATE TABLE app.orders (id int PRIMARY KEY, client_id int REFERENCES app.clients (id));
CREATE VIEW app.client_names AS SELECT name FROM app.clients;
