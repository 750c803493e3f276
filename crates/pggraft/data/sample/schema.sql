-- A fixture that uses every object kind the catalog model covers, with
-- awkward names: mixed case, spaces, quotes, unicode, reserved words and
-- 63-byte names. Used by the round-trip tests.
CREATE EXTENSION IF NOT EXISTS citext;
CREATE EXTENSION IF NOT EXISTS btree_gist;
DO $$ BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'app_reader') THEN CREATE ROLE app_reader; END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'App Writer') THEN CREATE ROLE "App Writer"; END IF;
END $$;

CREATE SCHEMA shop;
CREATE SCHEMA "Odd Schema";
COMMENT ON SCHEMA shop IS 'the shop';
GRANT USAGE ON SCHEMA shop TO app_reader;

CREATE COLLATION shop.ci (provider = icu, locale = 'und-u-ks-level2', deterministic = false);
CREATE TYPE shop.mood AS ENUM ('sad', 'ok', 'happy', 'it''s');
COMMENT ON TYPE shop.mood IS 'feelings';
CREATE TYPE shop.address AS (street text, city text COLLATE "C", "Zip" varchar(10));
CREATE DOMAIN shop.positive AS numeric(12,2) DEFAULT 1 NOT NULL CONSTRAINT positive_check CHECK (VALUE > 0);
CREATE DOMAIN shop.email AS citext CONSTRAINT email_at CHECK (VALUE ~ '@');
ALTER DOMAIN shop.email ADD CONSTRAINT email_len CHECK (length(VALUE) < 200) NOT VALID;
CREATE TYPE shop.floatrange AS RANGE (subtype = float8, subtype_diff = float8mi);
GRANT USAGE ON TYPE shop.mood TO app_reader;
CREATE SEQUENCE shop.codes AS integer START 100 INCREMENT 5 MINVALUE 10 MAXVALUE 100000 CACHE 2 CYCLE;

CREATE FUNCTION shop.add_tax(amount numeric, rate numeric DEFAULT 0.2) RETURNS numeric
  LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$ SELECT amount * (1 + rate) $$;
CREATE FUNCTION shop.next_code() RETURNS text LANGUAGE plpgsql VOLATILE
  SET search_path = shop, pg_temp AS $fn$
BEGIN
  RETURN 'C-' || nextval('shop.codes');
END $fn$;
CREATE FUNCTION shop.touch() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER AS $$
BEGIN NEW.updated_at := now(); RETURN NEW; END $$;
CREATE FUNCTION shop.atomic_double(x integer) RETURNS integer LANGUAGE sql IMMUTABLE
  BEGIN ATOMIC SELECT x * 2; END;
CREATE PROCEDURE shop.reset_codes() LANGUAGE sql AS $$ SELECT setval('shop.codes', 1) $$;
CREATE FUNCTION "Odd Schema"."Weird ""Func"""(a int, OUT b int, OUT c text) RETURNS SETOF record
  LANGUAGE sql STABLE ROWS 10 COST 5 AS $$ SELECT a, 'x'::text $$;
REVOKE EXECUTE ON FUNCTION shop.touch() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION shop.touch() TO "App Writer";
COMMENT ON FUNCTION shop.add_tax(numeric, numeric) IS 'adds tax';


-- Aggregates: with a user state function, a final function and an initial
-- condition; without arguments (*); ordered-set with FINALFUNC_EXTRA.
CREATE FUNCTION shop.sum_sq_step(state numeric, v numeric) RETURNS numeric
  LANGUAGE sql IMMUTABLE AS $$ SELECT state + v * v $$;
CREATE AGGREGATE shop.sum_sq(numeric) (
  SFUNC = shop.sum_sq_step, STYPE = numeric, INITCOND = '0', FINALFUNC = abs, PARALLEL = SAFE);
COMMENT ON AGGREGATE shop.sum_sq(numeric) IS 'sum of squares';
CREATE AGGREGATE shop.cnt(*) (SFUNC = int8inc, STYPE = int8, INITCOND = '0');
REVOKE ALL ON FUNCTION shop.cnt() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION shop.cnt() TO app_reader;
CREATE AGGREGATE shop.pct(float8 ORDER BY anyelement) (
  SFUNC = ordered_set_transition, STYPE = internal,
  FINALFUNC = percentile_disc_final, FINALFUNC_EXTRA);

CREATE TABLE shop.customers (
  id bigint GENERATED ALWAYS AS IDENTITY (START WITH 1000 INCREMENT BY 2) PRIMARY KEY,
  email shop.email NOT NULL UNIQUE,
  name text COLLATE shop.ci NOT NULL,
  mood shop.mood DEFAULT 'ok',
  home shop.address,
  balance shop.positive,
  "Select" text,
  code text DEFAULT shop.next_code(),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz,
  CONSTRAINT name_not_blank CHECK (btrim(name) <> '')
) WITH (fillfactor = 90);
ALTER TABLE shop.customers ALTER COLUMN "Select" SET STORAGE EXTERNAL;
ALTER TABLE shop.customers ALTER COLUMN name SET STATISTICS 500;
COMMENT ON TABLE shop.customers IS 'people who buy';
COMMENT ON COLUMN shop.customers."Select" IS 'a reserved word';
COMMENT ON CONSTRAINT name_not_blank ON shop.customers IS 'no blanks';
GRANT SELECT ON shop.customers TO app_reader;
GRANT SELECT (name), UPDATE (name) ON shop.customers TO "App Writer";
CREATE TRIGGER customers_touch BEFORE UPDATE OF name, email ON shop.customers
  FOR EACH ROW WHEN (OLD.* IS DISTINCT FROM NEW.*) EXECUTE FUNCTION shop.touch();
COMMENT ON TRIGGER customers_touch ON shop.customers IS 'keeps updated_at';

CREATE TABLE shop.orders (
  id bigserial,
  customer_id bigint NOT NULL REFERENCES shop.customers (id) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED,
  placed_on date NOT NULL,
  amount numeric(12,2) NOT NULL,
  total numeric GENERATED ALWAYS AS (shop.add_tax(amount)) STORED,
  status text NOT NULL DEFAULT 'new',
  note text,
  PRIMARY KEY (id, placed_on)
) PARTITION BY RANGE (placed_on);
CREATE TABLE shop.orders_2023 PARTITION OF shop.orders FOR VALUES FROM ('2023-01-01') TO ('2024-01-01');
CREATE TABLE shop.orders_2024 PARTITION OF shop.orders FOR VALUES FROM ('2024-01-01') TO ('2025-01-01')
  PARTITION BY RANGE (placed_on);
CREATE TABLE shop.orders_2024_new PARTITION OF shop.orders_2024 FOR VALUES FROM ('2024-01-01') TO ('2024-07-01');
CREATE TABLE shop.orders_2024_rest PARTITION OF shop.orders_2024 DEFAULT;
CREATE TABLE shop.orders_other PARTITION OF shop.orders DEFAULT;
CREATE INDEX orders_status_idx ON shop.orders (status) WHERE status <> 'done';
CREATE INDEX orders_note_lower_idx ON shop.orders (lower(note) text_pattern_ops DESC NULLS LAST) INCLUDE (amount);
ALTER INDEX shop.orders_note_lower_idx ALTER COLUMN 1 SET STATISTICS 3000;
CREATE STATISTICS shop.orders_stats (ndistinct, dependencies) ON customer_id, status FROM shop.orders_2023;
ALTER TABLE shop.orders ADD CONSTRAINT amount_positive CHECK (amount >= 0) NOT VALID;
CREATE TRIGGER orders_stmt AFTER INSERT ON shop.orders FOR EACH STATEMENT EXECUTE FUNCTION shop.touch();
ALTER TABLE shop.orders DISABLE TRIGGER orders_stmt;

CREATE TABLE shop.rooms (
  room int NOT NULL,
  during tstzrange NOT NULL,
  EXCLUDE USING gist (room WITH =, during WITH &&)
);
CREATE UNLOGGED TABLE shop.cache (k text PRIMARY KEY, v jsonb) ;
CREATE INDEX cache_v_gin ON shop.cache USING gin (v jsonb_path_ops);
CREATE INDEX cache_k_hash ON shop.cache USING hash (k);
CREATE INDEX rooms_brin ON shop.rooms USING brin (room) WITH (pages_per_range = 16);
ALTER TABLE shop.cache REPLICA IDENTITY FULL;

-- Default privileges half-way: the tables created from here on get them and
-- those above do not, so a copy must apply them last to reproduce both.
ALTER DEFAULT PRIVILEGES IN SCHEMA shop GRANT SELECT ON TABLES TO app_reader;
ALTER DEFAULT PRIVILEGES IN SCHEMA shop GRANT USAGE ON SEQUENCES TO "App Writer" WITH GRANT OPTION;
CREATE TABLE shop.base_item (id int PRIMARY KEY, label text NOT NULL, CONSTRAINT label_len CHECK (length(label) < 100));
-- A typed table: its columns are the composite type's.
CREATE TABLE shop.address_book OF shop.address (
  CONSTRAINT street_present CHECK (street <> ''),
  PRIMARY KEY (street, city));
ALTER TABLE shop.address_book ALTER COLUMN "Zip" SET DEFAULT '00000';
COMMENT ON TABLE shop.address_book IS 'typed by shop.address';
CREATE TABLE shop.special_item (extra text) INHERITS (shop.base_item);

-- Text search: a dictionary of our own, and a configuration using it that an
-- index and a generated column name (as a regconfig literal).
CREATE TEXT SEARCH DICTIONARY shop.english_keep_stop (TEMPLATE = snowball, language = 'english');
COMMENT ON TEXT SEARCH DICTIONARY shop.english_keep_stop IS 'stems, keeps stop words';
CREATE TEXT SEARCH CONFIGURATION shop.search (COPY = pg_catalog.english);
ALTER TEXT SEARCH CONFIGURATION shop.search
  ALTER MAPPING FOR asciiword, word WITH shop.english_keep_stop;
ALTER TEXT SEARCH CONFIGURATION shop.search DROP MAPPING FOR email, url;
CREATE TEXT SEARCH CONFIGURATION shop.bare (PARSER = pg_catalog."default");
CREATE TABLE shop.docs (
  id int PRIMARY KEY,
  owner_name text NOT NULL DEFAULT current_user,
  body text,
  words tsvector GENERATED ALWAYS AS (to_tsvector('shop.search'::regconfig, coalesce(body, ''))) STORED
);
CREATE INDEX docs_body_fts ON shop.docs USING gin (to_tsvector('shop.search'::regconfig, body));
ALTER TABLE shop.docs ENABLE ROW LEVEL SECURITY;
ALTER TABLE shop.docs FORCE ROW LEVEL SECURITY;
CREATE POLICY docs_own ON shop.docs FOR ALL TO app_reader, "App Writer" USING (owner_name = current_user) WITH CHECK (owner_name = current_user);
CREATE POLICY "Docs Restrict" ON shop.docs AS RESTRICTIVE FOR SELECT TO PUBLIC USING (body IS NOT NULL);
COMMENT ON POLICY docs_own ON shop.docs IS 'owners only';

CREATE VIEW shop.order_totals WITH (security_barrier = true) AS
  SELECT c.id, c.name, sum(o.amount) AS total, count(*) AS n
  FROM shop.customers c JOIN shop.orders o ON o.customer_id = c.id GROUP BY c.id;
CREATE VIEW shop.happy_customers AS SELECT * FROM shop.customers WHERE mood = 'happy' WITH CASCADED CHECK OPTION;
ALTER VIEW shop.happy_customers ALTER COLUMN mood SET DEFAULT 'happy';
COMMENT ON VIEW shop.order_totals IS 'per customer';
GRANT SELECT ON shop.order_totals TO app_reader;
CREATE MATERIALIZED VIEW shop.daily AS SELECT placed_on, sum(amount) AS amount FROM shop.orders GROUP BY placed_on WITH NO DATA;
CREATE UNIQUE INDEX daily_pk ON shop.daily (placed_on);
CREATE RULE customers_no_delete AS ON DELETE TO shop.happy_customers DO INSTEAD NOTHING;

CREATE TABLE "Odd Schema"."Mixed Case ""Table""" (
  "ID" int PRIMARY KEY,
  "Ünïcödé" text,
  "user" text,
  "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" int
);
CREATE TABLE "Odd Schema"."bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb" (
  id int REFERENCES "Odd Schema"."Mixed Case ""Table""" ("ID") ON UPDATE SET NULL,
  r shop.floatrange
);
CREATE INDEX "Idx ""quoted""" ON "Odd Schema"."Mixed Case ""Table""" ("Ünïcödé" COLLATE "C");
CLUSTER "Odd Schema"."Mixed Case ""Table""" USING "Idx ""quoted""";
ALTER TABLE shop.customers ADD CONSTRAINT customers_mood_ck CHECK (mood <> 'sad'::shop.mood) NOT VALID;
ALTER TABLE shop.orders_2023 ADD CONSTRAINT orders_2023_note_ck CHECK (note <> '');

-- Operators: infix with a commutator (itself) and a comment, prefix; a view
-- uses one, so a renamed copy must move OPERATOR(shop.~=) with its schema.
CREATE FUNCTION shop.approx_eq(a numeric, b numeric) RETURNS boolean
  LANGUAGE sql IMMUTABLE AS $$ SELECT abs(a - b) < 0.01 $$;
CREATE OPERATOR shop.~= (FUNCTION = shop.approx_eq, LEFTARG = numeric, RIGHTARG = numeric,
  COMMUTATOR = OPERATOR(shop.~=), RESTRICT = eqsel, JOIN = eqjoinsel);
COMMENT ON OPERATOR shop.~= (numeric, numeric) IS 'close enough';
CREATE OPERATOR shop.!! (FUNCTION = int8um, RIGHTARG = bigint);
CREATE VIEW shop.round_orders AS
  SELECT id, OPERATOR(shop.!!) customer_id AS neg FROM shop.orders WHERE amount OPERATOR(shop.~=) 10.0;

-- Operator families and classes: a hash class over shop.~= in a family of its own that
-- also holds a loose support function, used by an index, so a renamed copy moves the class
-- and the index's reference to it.
CREATE OPERATOR FAMILY shop.approx_ops USING hash;
COMMENT ON OPERATOR FAMILY shop.approx_ops USING hash IS 'numbers close enough';
CREATE OPERATOR CLASS shop.approx_ops FOR TYPE numeric USING hash FAMILY shop.approx_ops AS
  OPERATOR 1 shop.~=, FUNCTION 1 hash_numeric(numeric);
ALTER OPERATOR FAMILY shop.approx_ops USING hash
  ADD FUNCTION 2 (numeric, numeric) hash_numeric_extended(numeric, bigint);
CREATE INDEX orders_amount_approx ON shop.orders USING hash (amount shop.approx_ops);

-- A conversion over one of PostgreSQL's conversion functions.
CREATE CONVERSION shop.latin1_to_utf8 FOR 'LATIN1' TO 'UTF8' FROM iso8859_1_to_utf8;
COMMENT ON CONVERSION shop.latin1_to_utf8 IS 'for old exports';
