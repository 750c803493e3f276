CREATE SCHEMA app;

CREATE TABLE app.t (
    a int, b int8, c bool, d varchar(10), e timestamptz, f float8, g decimal(8,2), h char, i int2
);
