CREATE SCHEMA app;

CREATE EXTENSION citext WITH SCHEMA app;
CREATE TYPE app.status AS ENUM ('new', 'paid', 'shipped');
CREATE DOMAIN app.email AS app.citext CHECK (VALUE ~ '@');
CREATE TYPE app.address AS (street text, city text);
CREATE SEQUENCE app.order_no START 1000;
CREATE TABLE app.customers (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email app.email NOT NULL UNIQUE,
    addr app.address,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE app.orders (
    id bigint PRIMARY KEY DEFAULT nextval('app.order_no'),
    customer_id bigint NOT NULL REFERENCES app.customers ON DELETE CASCADE,
    status app.status NOT NULL DEFAULT 'new',
    total numeric(12,2) NOT NULL CHECK (total >= 0)
) WITH (fillfactor = 90);
CREATE INDEX orders_customer_idx ON app.orders (customer_id) INCLUDE (status);
CREATE FUNCTION app.touch() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN RETURN NEW; END$$;
CREATE TRIGGER orders_touch BEFORE UPDATE ON app.orders FOR EACH ROW EXECUTE FUNCTION app.touch();
CREATE VIEW app.open_orders AS SELECT id, total FROM app.orders WHERE status <> 'shipped';
CREATE MATERIALIZED VIEW app.revenue AS SELECT sum(total) AS total FROM app.orders;
ALTER TABLE app.orders ENABLE ROW LEVEL SECURITY;
CREATE POLICY orders_all ON app.orders TO app_reader USING (true);
GRANT SELECT ON app.open_orders TO app_reader;
COMMENT ON TABLE app.orders IS 'Orders';
CREATE SCHEMA other;
CREATE TABLE other.events (id bigint NOT NULL, at date NOT NULL) PARTITION BY RANGE (at);
CREATE TABLE other.events_2024 PARTITION OF other.events FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
