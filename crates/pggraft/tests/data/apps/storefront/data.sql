-- Rows for storefront: a few thousand orders over four months (all partitions get some),
-- line items that move inventory through the trigger, a price change audited by the statement
-- trigger, and a refreshed sales report.
INSERT INTO public.schema_migrations (version)
SELECT to_char(timestamp '2023-06-01' + g * interval '3 days', 'YYYYMMDDHH24MISS') FROM generate_series(1, 40) g;
INSERT INTO public.ar_internal_metadata VALUES ('environment', 'production', '2023-06-01', '2023-06-01');

INSERT INTO store.customers (email, full_name, phone, billing_address, marketing_opt_in, deleted_at, created_at, updated_at)
SELECT 'Customer' || g || '@Example.com', 'Customer Nº ' || g,
       CASE WHEN g % 3 = 0 THEN '+33 6 ' || lpad(g::text, 8, '0') END,
       ROW('Rue ' || g, NULL, 'Lyon', lpad((g % 99999)::text, 5, '0'), 'FR')::store.address,
       g % 4 = 0, CASE WHEN g % 50 = 0 THEN timestamp '2024-02-01' END,
       timestamp '2023-01-01' + g * interval '37 minutes', timestamp '2023-01-01' + g * interval '41 minutes'
FROM generate_series(1, 600) g;

INSERT INTO store.products (slug, title, description, properties, tags, published_at, created_at, updated_at)
SELECT 'product-' || g, 'Product ' || g || CASE WHEN g % 5 = 0 THEN ' Deluxe' ELSE '' END,
       repeat('A fine product. ', g % 20), jsonb_build_object('color', (ARRAY['red','green','blue'])[1 + g % 3], 'rank', g),
       ARRAY['tag' || (g % 7), 'tag' || (g % 11)]::varchar[],
       CASE WHEN g % 9 <> 0 THEN timestamp '2023-05-01' END, timestamp '2023-05-01', timestamp '2023-05-02'
FROM generate_series(1, 200) g;

INSERT INTO store.variants (product_id, sku, option_values, price_cents, weight_grams, created_at, updated_at)
SELECT 1 + (g - 1) / 3, 'SKU-' || lpad(g::text, 6, '0'), jsonb_build_object('size', (ARRAY['S','M','L'])[1 + g % 3]),
       500 + (g * 37) % 20000, CASE WHEN g % 4 <> 0 THEN 100 + g END, timestamp '2023-05-01', timestamp '2023-05-01'
FROM generate_series(1, 600) g;
INSERT INTO store.inventory_levels (variant_id, on_hand) SELECT id, 10000 FROM store.variants;

INSERT INTO store.orders (number, customer_id, state, shipping_address, currency, placed_at, created_at, updated_at)
SELECT 'R' || lpad(g::text, 9, '0'), CASE WHEN g % 17 <> 0 THEN 1 + g % 600 END,
       (enum_range(NULL::store.order_state))[1 + g % 7],
       CASE WHEN g % 2 = 0 THEN ROW('Street ' || g, 'Apt ' || (g % 30), 'Paris', '75001', 'FR')::store.address END,
       CASE WHEN g % 10 = 0 THEN 'USD' ELSE 'EUR' END,
       timestamp '2023-12-15' + g * interval '47 minutes', timestamp '2023-12-15', timestamp '2023-12-15'
FROM generate_series(1, 3000) g;

INSERT INTO store.line_items (order_id, order_placed_at, variant_id, quantity, unit_price_cents, created_at)
SELECT o.id, o.placed_at, 1 + (o.id * k) % 600, 1 + (o.id + k) % 4, 500 + (o.id * 13 + k) % 9000, o.created_at
FROM store.orders o CROSS JOIN generate_series(1, 3) k;

INSERT INTO store.payments (order_id, order_placed_at, provider, provider_ref, amount_cents, captured, raw_response, created_at)
SELECT o.id, o.placed_at, CASE WHEN o.id % 3 = 0 THEN 'paypal' ELSE 'stripe' END,
       CASE WHEN o.id % 5 <> 0 THEN 'ch_' || md5(o.id::text) END,
       store.order_total_cents(o.id, o.placed_at), o.state >= 'paid',
       CASE WHEN o.id % 2 = 0 THEN jsonb_build_object('id', o.id, 'status', 'ok', 'fee', 0.3) END, o.placed_at
FROM store.orders o WHERE o.state <> 'cart';

UPDATE store.variants SET price_cents = price_cents + 100 WHERE id % 25 = 0;
DELETE FROM store.line_items WHERE id % 97 = 0;
REFRESH MATERIALIZED VIEW store.daily_sales;
ANALYZE;
