CREATE SCHEMA app;

CREATE TABLE app.t (
    a integer, b bigint, c boolean, d character varying(10), e timestamp with time zone,
    f double precision, g numeric(8,2), h character(1), i smallint
);
