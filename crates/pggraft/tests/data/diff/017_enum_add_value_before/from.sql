CREATE SCHEMA app;

CREATE TYPE app.status AS ENUM ('new', 'paid');
CREATE TABLE app.orders (id int PRIMARY KEY, status app.status NOT NULL DEFAULT 'new');
INSERT INTO app.orders VALUES (1, 'new'), (2, 'paid');
