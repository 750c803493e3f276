-- Rows for the sample schema: every table gets data, with awkward values
-- (NULLs, unicode, long TOASTed text, NaN, arrays). The session setting
-- pggraft.scale multiplies the row counts (tests use 1, `demo` 100).
CREATE TEMP TABLE scale AS SELECT COALESCE(current_setting('pggraft.scale', true), '1')::int AS n;
INSERT INTO shop.customers (email, name, mood, home, balance, "Select", created_at)
SELECT 'user' || g || '@example.com', 'Name ' || g, (ARRAY['ok','happy','it''s']::shop.mood[])[1 + g % 3],
       ROW('Street ' || g, 'City', lpad(g::text, 5, '0'))::shop.address, g + 0.5,
       CASE WHEN g % 7 = 0 THEN NULL ELSE repeat('ü', g % 50) END,
       timestamptz '2024-01-01 00:00:00+00' + g * interval '1 hour'
FROM generate_series(1, 500 * (SELECT n FROM scale)) g;
INSERT INTO shop.orders (customer_id, placed_on, amount, status, note)
SELECT 1000 + 2 * (g % (500 * (SELECT n FROM scale))), date '2023-01-01' + (g % 900), (g % 1000) / 10.0,
       (ARRAY['new','done','shipped'])[1 + g % 3], CASE WHEN g % 11 = 0 THEN repeat('long note ', 300) END
FROM generate_series(1, 3000 * (SELECT n FROM scale)) g;
INSERT INTO shop.rooms SELECT g % 20, tstzrange(timestamptz '2024-01-01' + g * interval '1 day', timestamptz '2024-01-01' + g * interval '1 day' + interval '2 hours') FROM generate_series(1, 200) g;
INSERT INTO shop.cache SELECT 'k' || g, jsonb_build_object('n', g, 'f', 'NaN'::float8, 'arr', jsonb_build_array(g, g * 1.5)) FROM generate_series(1, 300 * (SELECT n FROM scale)) g;
INSERT INTO shop.base_item VALUES (1, 'one'), (2, 'two');
INSERT INTO shop.address_book VALUES ('1 Main St', 'Springfield', '12345'), ('2 Side St', 'Shelbyville', DEFAULT);
INSERT INTO shop.special_item VALUES (3, 'three', 'x'), (4, 'four', NULL);
INSERT INTO shop.docs SELECT g, 'postgres', CASE WHEN g % 2 = 0 THEN 'body' END FROM generate_series(1, 50) g;
INSERT INTO "Odd Schema"."Mixed Case ""Table""" SELECT g, 'Ünï ' || g, 'u' || g, g FROM generate_series(1, 100 * (SELECT n FROM scale)) g;
INSERT INTO "Odd Schema"."bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb" SELECT g, numrange(g, g + 1)::text::shop.floatrange FROM generate_series(1, 50) g;
SELECT setval('shop.codes', 4242);
REFRESH MATERIALIZED VIEW shop.daily;
