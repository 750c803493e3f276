CREATE SCHEMA app;

CREATE TABLE app.t (id bigint NOT NULL);
CREATE SEQUENCE app.t_id_seq;
