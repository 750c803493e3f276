CREATE SCHEMA app;

CREATE SEQUENCE app.global_id;
CREATE TABLE app.a (id bigint PRIMARY KEY DEFAULT nextval('app.global_id'));
CREATE TABLE app.b (id bigint PRIMARY KEY DEFAULT nextval('app.global_id'));
