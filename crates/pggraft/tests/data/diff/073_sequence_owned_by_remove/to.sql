CREATE SCHEMA app;

CREATE TABLE app.t (id bigint);
CREATE SEQUENCE app.t_seq;
