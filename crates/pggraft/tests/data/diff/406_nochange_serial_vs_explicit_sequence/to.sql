CREATE SCHEMA app;

CREATE SEQUENCE app.t_id_seq AS integer;
CREATE TABLE app.t (id integer NOT NULL DEFAULT nextval('app.t_id_seq'::regclass), note text, CONSTRAINT t_pkey PRIMARY KEY (id));
ALTER SEQUENCE app.t_id_seq OWNED BY app.t.id;
