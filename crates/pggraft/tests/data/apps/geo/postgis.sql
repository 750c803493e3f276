-- geo with PostGIS (loaded after data.sql where PostGIS is installed): geography points for the
-- places, zones as multipolygons, a proximity view, and spatial indexes.
CREATE EXTENSION IF NOT EXISTS postgis WITH SCHEMA extensions;
ALTER TABLE geo.places ADD COLUMN location extensions.geography(Point, 4326);
UPDATE geo.places
   SET location = extensions.st_setsrid(extensions.st_makepoint(coordinates[1], coordinates[2]), 4326)::extensions.geography;
CREATE INDEX places_location ON geo.places USING gist (location);
CREATE TABLE geo.zones (
  id int PRIMARY KEY,
  name text NOT NULL,
  area extensions.geometry(MultiPolygon, 4326) NOT NULL
);
INSERT INTO geo.zones
SELECT g, 'zone ' || g,
       extensions.st_multi(extensions.st_makeenvelope(2.3 + g / 100.0, 48.8, 2.31 + g / 100.0, 48.9, 4326))
FROM generate_series(1, 20) g;
CREATE INDEX zones_area ON geo.zones USING gist (area);
CREATE VIEW geo.places_in_zones AS
  SELECT z.id AS zone_id, p.id AS place_id, p.name
  FROM geo.zones z JOIN geo.places p ON extensions.st_intersects(z.area, p.location::extensions.geometry);
ANALYZE geo.places, geo.zones;
