CREATE SCHEMA app;

CREATE TABLE app.t (tenant int NOT NULL, id int NOT NULL, CONSTRAINT t_pkey PRIMARY KEY (tenant, id));
