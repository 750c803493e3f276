CREATE SCHEMA app;

CREATE TYPE app.status AS ENUM ('new', 'paid', 'void');
CREATE TABLE app.orders (id int PRIMARY KEY, status app.status NOT NULL DEFAULT 'new');
CREATE TABLE app.refunds (
    id int PRIMARY KEY,
    order_id int NOT NULL REFERENCES app.orders,
    prior_status app.status DEFAULT 'paid',
    history app.status[] NOT NULL DEFAULT '{}'
);
CREATE INDEX refunds_prior_status_idx ON app.refunds (prior_status) WHERE prior_status <> 'void';
INSERT INTO app.orders VALUES (1, 'new'), (2, 'paid');
INSERT INTO app.refunds VALUES (10, 2, 'void', '{new,void}');
