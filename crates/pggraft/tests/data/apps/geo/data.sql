-- Rows for geo: a category tree, places in every partition with accented names, reviews by
-- hashed authors, and the refreshed ranking.
INSERT INTO geo.categories VALUES
  (1, NULL, 'food', '{food}'), (2, 1, 'café', '{food,café}'), (3, 1, 'restaurant', '{food,restaurant}'),
  (4, 3, 'brasserie', '{food,restaurant,brasserie}'), (100, NULL, 'culture', '{culture}'),
  (101, 100, 'museum', '{culture,museum}'), (102, 100, 'théâtre', '{culture,théâtre}');

INSERT INTO geo.places (country, category_id, name, address, coordinates, price, tags, opening_hours, description)
SELECT (ARRAY['FR', 'FR', 'DE', 'IT', 'ES'])[1 + g % 5],
       (ARRAY[1, 2, 3, 4, 100, 101, 102])[1 + g % 7],
       (ARRAY['Café', 'Brasserie', 'Musée', 'Théâtre', 'Crêperie', 'Bäckerei'])[1 + g % 6] || ' ' ||
         (ARRAY['du Marché', 'de la Gare', 'Zentral', 'del Sol', 'Élysée'])[1 + g % 5] || ' ' || g,
       g || ' rue Exemple', ARRAY[2.35 + (g % 100) / 1000.0, 48.85 + (g % 50) / 1000.0],
       (enum_range(NULL::geo.price_level))[1 + g % 4],
       ARRAY['wifi', CASE WHEN g % 2 = 0 THEN 'terrace' ELSE 'quiet' END],
       CASE WHEN g % 3 = 0 THEN jsonb_build_object('mon', '9-18', 'sun', NULL) END,
       CASE WHEN g % 4 <> 0 THEN 'Un endroit très apprécié, numéro ' || g END
FROM generate_series(1, 1500) g;

INSERT INTO geo.reviews (place_country, place_category, place_id, stars, body, author_hash, visited_on)
SELECT p.country, p.category_id, p.id, 1 + (p.id + k) % 5,
       CASE WHEN k % 2 = 0 THEN 'Très bon, je recommande (' || k || ')' END,
       extensions.digest('author' || (p.id * k) % 300, 'sha256'),
       date '2024-01-01' + ((p.id + k) % 200)::int
FROM geo.places p CROSS JOIN generate_series(1, 4) k WHERE p.id % 3 <> 0;

REFRESH MATERIALIZED VIEW geo.top_places;
ANALYZE;
