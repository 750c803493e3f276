CREATE SCHEMA app;

CREATE TABLE app.t (tenant int NOT NULL, id int NOT NULL, CONSTRAINT t_pkey PRIMARY KEY (id));
INSERT INTO app.t VALUES (1, 1), (2, 2);
