-- Rows for forum: users and posts (so post_counts, refreshed when empty, is stale), comments
-- and favorites through the routing trigger.
INSERT INTO public.schema_migrations (version)
SELECT to_char(timestamp '2024-01-01' + g * interval '5 days', 'YYYYMMDDHH24MISS') FROM generate_series(1, 30) g;
INSERT INTO public.ar_internal_metadata VALUES ('environment', 'production', '2024-01-01', '2024-01-01');

INSERT INTO public.users (id, email, name, preferences, created_at, updated_at)
SELECT md5('user' || g)::uuid, 'User' || g || '@Example.org', 'Élodie Müller ' || g,
       hstore('theme', CASE WHEN g % 2 = 0 THEN 'dark' ELSE 'light' END),
       timestamp '2024-01-01' + g * interval '1 hour', timestamp '2024-01-02' + g * interval '1 hour'
FROM generate_series(1, 200) g;

INSERT INTO public.posts (user_id, title, body, rating, tag_string, tags, created_at, updated_at)
SELECT md5('user' || (1 + g % 200))::uuid, 'Post ' || g || ' über Straße', repeat('Ça va. ', g % 9),
       (ARRAY['general', 'sensitive', 'questionable', 'explicit']::public.post_rating[])[1 + g % 4],
       CASE WHEN g % 5 = 0 THEN '' ELSE 'tag' || (g % 7) || ' tag' || (g % 11) END,
       jsonb_build_array('t' || (g % 3)),
       timestamp '2024-02-01' + g * interval '7 minutes', timestamp '2024-02-01' + g * interval '9 minutes'
FROM generate_series(1, 800) g;
CLUSTER public.posts;

INSERT INTO public.comments (post_id, user_id, body)
SELECT 1 + g % 800, CASE WHEN g % 10 <> 0 THEN md5('user' || (1 + g % 200))::uuid END, 'Comment ' || g
FROM generate_series(1, 600) g;

INSERT INTO public.favorites (user_id, post_id, bucket)
SELECT md5('user' || (1 + g % 200))::uuid, 1 + g % 800, g % 2 FROM generate_series(1, 300) g;

INSERT INTO public.job_lockers VALUES (4242, '{default}', true);
DELETE FROM public.posts WHERE id IN (13, 17);
