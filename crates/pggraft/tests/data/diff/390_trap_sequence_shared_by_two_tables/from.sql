CREATE SCHEMA app;

CREATE SEQUENCE app.global_id;
CREATE TABLE app.a (id bigint PRIMARY KEY);
CREATE TABLE app.b (id bigint PRIMARY KEY);
