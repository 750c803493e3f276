CREATE SCHEMA app;

CREATE TYPE app.status AS ENUM ('new', 'pending', 'paid');
CREATE TABLE app.orders (id int PRIMARY KEY, status app.status NOT NULL DEFAULT 'new');
