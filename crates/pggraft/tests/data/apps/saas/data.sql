-- Rows for saas: 40 tenants with users, keys, rooms and non-overlapping bookings, events in
-- every hash partition, and the audit rows the triggers wrote while loading.
INSERT INTO saas.tenants (slug, name, plan, seats, tags, billing_period)
SELECT 'tenant-' || g, 'Tenant ' || g, (enum_range(NULL::saas.plan))[1 + g % 4], 3 + g % 50,
       CASE WHEN g % 3 = 0 THEN ARRAY['vip', 'eu'] ELSE '{}' END,
       CASE WHEN g % 2 = 0 THEN saas.daterange_open(date '2024-01-01', date '2024-01-01' + g) END
FROM generate_series(1, 40) g;

INSERT INTO saas.users (tenant_id, email, display_name, permissions, password_hash, last_seen_at)
SELECT 1 + g % 40, 'user' || g || '@Tenant' || (1 + g % 40) || '.example', 'User ' || g,
       CASE g % 4 WHEN 0 THEN '{read,write,admin}' WHEN 1 THEN '{read}' ELSE '{read,write}' END::saas.permission[],
       crypt('pw' || g, '$1$saltsalt'),
       CASE WHEN g % 5 <> 0 THEN timestamptz '2024-03-01 00:00+00' + g * interval '5 minutes' END
FROM generate_series(1, 800) g;

INSERT INTO saas.api_keys (id, tenant_id, user_id, key_hash, scopes, expires_at, revoked)
SELECT md5('key' || g)::uuid, 1 + g % 40, 100 + g, saas.hash_key('secret-' || g), '{read}',
       CASE WHEN g % 2 = 0 THEN timestamptz '2025-01-01 00:00+00' END, g % 9 = 0
FROM generate_series(1, 200) g;
UPDATE saas.api_keys SET revoked = true WHERE key_hash = saas.hash_key('secret-7');

INSERT INTO saas.rooms (tenant_id, name, capacity)
SELECT 1 + g % 40, 'Room ' || (g / 40), CASE WHEN g % 3 <> 0 THEN 4 + g % 12 END FROM generate_series(0, 159) g;

INSERT INTO saas.bookings (tenant_id, room_id, booked_by, during, price)
SELECT r.tenant_id, r.id, NULL,
       tstzrange(timestamptz '2024-05-01 08:00+00' + k * interval '1 hour',
                 timestamptz '2024-05-01 08:00+00' + k * interval '1 hour' + interval '45 minutes'),
       CASE WHEN k % 2 = 0 THEN ROW('EUR', 1500 + k)::saas.money_amount END
FROM saas.rooms r CROSS JOIN generate_series(0, 11) k;

INSERT INTO saas.events (tenant_id, kind, payload, occurred_at)
SELECT 1 + g % 40, (ARRAY['login', 'booking.created', 'invoice.paid'])[1 + g % 3],
       jsonb_build_object('n', g, 'ip', '10.0.' || (g % 255) || '.' || (g % 7), 'nested', jsonb_build_object('ok', g % 2 = 0)),
       timestamptz '2024-04-01 00:00+00' + g * interval '90 seconds'
FROM generate_series(1, 4000) g;

DELETE FROM saas.users WHERE id % 113 = 0;
REFRESH MATERIALIZED VIEW saas.plan_summary;
ANALYZE;
