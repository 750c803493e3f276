CREATE SCHEMA app;

CREATE TYPE app.status AS ENUM ('draft', 'new', 'paid');
CREATE TABLE app.orders (id int PRIMARY KEY, status app.status NOT NULL DEFAULT 'draft');
