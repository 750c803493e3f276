CREATE SCHEMA app;

CREATE TYPE app.status AS ENUM ('new', 'paid', 'void');
CREATE TABLE app.orders (id int PRIMARY KEY, status app.status NOT NULL);
CREATE INDEX orders_void_idx ON app.orders (id) WHERE status = 'void';
