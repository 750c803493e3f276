CREATE SCHEMA app;

CREATE TYPE app.intspan AS RANGE (subtype = int4, multirange_type_name = app.intspans);
CREATE TABLE app.slots (id int PRIMARY KEY, free app.intspans);
