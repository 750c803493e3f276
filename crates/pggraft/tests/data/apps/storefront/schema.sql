-- storefront: an e-commerce application's schema as a Rails app dumps it to db/structure.sql
-- (bigint ids on sequences set as defaults, timestamp(6) columns, schema_migrations and
-- ar_internal_metadata), with what such apps grow into: orders partitioned by month, line
-- items with a composite key to them, inventory kept by triggers, a materialized sales report,
-- citext e-mails, trigram product search, soft deletes with partial unique indexes, an enum of
-- order states, money amounts checked by domains. Written for pggraft's fidelity tests.
SET statement_timeout = 0;
SET client_encoding = 'UTF8';
SET standard_conforming_strings = on;
SET check_function_bodies = false;
SET client_min_messages = warning;

CREATE EXTENSION IF NOT EXISTS citext WITH SCHEMA public;
CREATE EXTENSION IF NOT EXISTS pg_trgm WITH SCHEMA public;
COMMENT ON EXTENSION pg_trgm IS 'text similarity measurement and index searching based on trigrams';
-- In the schema but used by nothing copied (pg_dump creates it all the same).
CREATE EXTENSION IF NOT EXISTS pgstattuple WITH SCHEMA public;

CREATE SCHEMA store;
COMMENT ON SCHEMA store IS 'the storefront application';

CREATE TYPE store.order_state AS ENUM ('cart', 'placed', 'paid', 'shipped', 'delivered', 'cancelled', 'refunded');
CREATE DOMAIN store.money_cents AS bigint CONSTRAINT money_cents_non_negative CHECK (VALUE >= 0);
CREATE DOMAIN store.sku AS text CONSTRAINT sku_format CHECK (VALUE ~ '^[A-Z]{3}-[0-9]{4,8}$');
CREATE TYPE store.address AS (line1 text, line2 text, city text, postcode text, country character(2));

CREATE FUNCTION store.set_updated_at() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
  NEW.updated_at := clock_timestamp();
  RETURN NEW;
END;
$$;

CREATE FUNCTION store.order_total_cents(p_order_id bigint, p_placed_at timestamp(6) without time zone) RETURNS bigint
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$
  SELECT COALESCE(sum(li.quantity * li.unit_price_cents), 0)::bigint
  FROM store.line_items li
  WHERE li.order_id = p_order_id AND li.order_placed_at = p_placed_at
$$;

CREATE FUNCTION store.reserve_stock() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path TO 'store', 'pg_temp'
    AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    UPDATE inventory_levels SET reserved = reserved + NEW.quantity
     WHERE variant_id = NEW.variant_id;
  ELSIF TG_OP = 'DELETE' THEN
    UPDATE inventory_levels SET reserved = reserved - OLD.quantity
     WHERE variant_id = OLD.variant_id;
    RETURN OLD;
  END IF;
  RETURN NEW;
END;
$$;
COMMENT ON FUNCTION store.reserve_stock() IS 'keeps inventory_levels.reserved in step with line items';

CREATE FUNCTION store.audit_price_change() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'store', 'pg_temp'
    AS $$
BEGIN
  INSERT INTO store.price_changes (variant_id, old_price_cents, new_price_cents, changed_at)
  SELECT n.id, o.price_cents, n.price_cents, clock_timestamp()
  FROM new_rows n JOIN old_rows o USING (id)
  WHERE n.price_cents IS DISTINCT FROM o.price_cents;
  RETURN NULL;
END;
$$;

CREATE TABLE public.schema_migrations (
    version character varying NOT NULL
);
CREATE TABLE public.ar_internal_metadata (
    key character varying NOT NULL,
    value character varying,
    created_at timestamp(6) without time zone NOT NULL,
    updated_at timestamp(6) without time zone NOT NULL
);

CREATE TABLE store.customers (
    id bigint NOT NULL,
    email public.citext NOT NULL,
    full_name character varying NOT NULL,
    phone character varying,
    billing_address store.address,
    marketing_opt_in boolean DEFAULT false NOT NULL,
    deleted_at timestamp(6) without time zone,
    created_at timestamp(6) without time zone NOT NULL,
    updated_at timestamp(6) without time zone NOT NULL
);
CREATE SEQUENCE store.customers_id_seq START WITH 1 INCREMENT BY 1 NO MINVALUE NO MAXVALUE CACHE 1;
ALTER SEQUENCE store.customers_id_seq OWNED BY store.customers.id;
ALTER TABLE ONLY store.customers ALTER COLUMN id SET DEFAULT nextval('store.customers_id_seq'::regclass);
COMMENT ON COLUMN store.customers.deleted_at IS 'soft delete: set instead of deleting';

CREATE TABLE store.products (
    id bigint NOT NULL,
    slug character varying NOT NULL,
    title character varying NOT NULL,
    description text,
    properties jsonb DEFAULT '{}'::jsonb NOT NULL,
    tags character varying[] DEFAULT '{}'::character varying[] NOT NULL,
    published_at timestamp(6) without time zone,
    created_at timestamp(6) without time zone NOT NULL,
    updated_at timestamp(6) without time zone NOT NULL,
    CONSTRAINT products_title_present CHECK (((title)::text <> ''::text))
);
CREATE SEQUENCE store.products_id_seq START WITH 1 INCREMENT BY 1 NO MINVALUE NO MAXVALUE CACHE 1;
ALTER SEQUENCE store.products_id_seq OWNED BY store.products.id;
ALTER TABLE ONLY store.products ALTER COLUMN id SET DEFAULT nextval('store.products_id_seq'::regclass);

CREATE TABLE store.variants (
    id bigint NOT NULL,
    product_id bigint NOT NULL,
    sku store.sku NOT NULL,
    option_values jsonb DEFAULT '{}'::jsonb NOT NULL,
    price_cents store.money_cents NOT NULL,
    weight_grams integer,
    created_at timestamp(6) without time zone NOT NULL,
    updated_at timestamp(6) without time zone NOT NULL
);
CREATE SEQUENCE store.variants_id_seq START WITH 1 INCREMENT BY 1 NO MINVALUE NO MAXVALUE CACHE 1;
ALTER SEQUENCE store.variants_id_seq OWNED BY store.variants.id;
ALTER TABLE ONLY store.variants ALTER COLUMN id SET DEFAULT nextval('store.variants_id_seq'::regclass);

CREATE TABLE store.inventory_levels (
    variant_id bigint NOT NULL,
    on_hand integer DEFAULT 0 NOT NULL,
    reserved integer DEFAULT 0 NOT NULL,
    available integer GENERATED ALWAYS AS ((on_hand - reserved)) STORED,
    updated_at timestamp(6) without time zone DEFAULT now() NOT NULL,
    CONSTRAINT inventory_levels_reserved_le_on_hand CHECK ((reserved <= on_hand)) NOT VALID
) WITH (fillfactor='70');

CREATE TABLE store.price_changes (
    id bigint GENERATED BY DEFAULT AS IDENTITY,
    variant_id bigint NOT NULL,
    old_price_cents bigint,
    new_price_cents bigint,
    changed_at timestamp(6) without time zone NOT NULL
);

CREATE TABLE store.orders (
    id bigint NOT NULL,
    number character varying NOT NULL,
    customer_id bigint,
    state store.order_state DEFAULT 'cart'::store.order_state NOT NULL,
    shipping_address store.address,
    currency character(3) DEFAULT 'EUR'::bpchar NOT NULL,
    placed_at timestamp(6) without time zone NOT NULL,
    created_at timestamp(6) without time zone NOT NULL,
    updated_at timestamp(6) without time zone NOT NULL
)
PARTITION BY RANGE (placed_at);
CREATE SEQUENCE store.orders_id_seq START WITH 1 INCREMENT BY 1 NO MINVALUE NO MAXVALUE CACHE 1;
ALTER SEQUENCE store.orders_id_seq OWNED BY store.orders.id;
ALTER TABLE store.orders ALTER COLUMN id SET DEFAULT nextval('store.orders_id_seq'::regclass);
CREATE TABLE store.orders_2024_01 PARTITION OF store.orders FOR VALUES FROM ('2024-01-01 00:00:00') TO ('2024-02-01 00:00:00');
CREATE TABLE store.orders_2024_02 PARTITION OF store.orders FOR VALUES FROM ('2024-02-01 00:00:00') TO ('2024-03-01 00:00:00');
CREATE TABLE store.orders_2024_03 PARTITION OF store.orders FOR VALUES FROM ('2024-03-01 00:00:00') TO ('2024-04-01 00:00:00');
CREATE TABLE store.orders_archive PARTITION OF store.orders FOR VALUES FROM (MINVALUE) TO ('2024-01-01 00:00:00');
CREATE TABLE store.orders_future PARTITION OF store.orders DEFAULT;

CREATE TABLE store.line_items (
    id bigint NOT NULL,
    order_id bigint NOT NULL,
    order_placed_at timestamp(6) without time zone NOT NULL,
    variant_id bigint NOT NULL,
    quantity integer NOT NULL,
    unit_price_cents store.money_cents NOT NULL,
    created_at timestamp(6) without time zone NOT NULL,
    CONSTRAINT line_items_quantity_positive CHECK ((quantity > 0))
);
CREATE SEQUENCE store.line_items_id_seq START WITH 1 INCREMENT BY 1 NO MINVALUE NO MAXVALUE CACHE 1;
ALTER SEQUENCE store.line_items_id_seq OWNED BY store.line_items.id;
ALTER TABLE ONLY store.line_items ALTER COLUMN id SET DEFAULT nextval('store.line_items_id_seq'::regclass);

CREATE TABLE store.payments (
    id bigint NOT NULL,
    order_id bigint NOT NULL,
    order_placed_at timestamp(6) without time zone NOT NULL,
    provider character varying NOT NULL,
    provider_ref character varying,
    amount_cents store.money_cents NOT NULL,
    captured boolean DEFAULT false NOT NULL,
    raw_response jsonb,
    created_at timestamp(6) without time zone NOT NULL
);
CREATE SEQUENCE store.payments_id_seq START WITH 1000 INCREMENT BY 1 NO MINVALUE NO MAXVALUE CACHE 20;
ALTER SEQUENCE store.payments_id_seq OWNED BY store.payments.id;
ALTER TABLE ONLY store.payments ALTER COLUMN id SET DEFAULT nextval('store.payments_id_seq'::regclass);

CREATE VIEW store.active_products AS
 SELECT p.id, p.slug, p.title, min(v.price_cents) AS from_price_cents
   FROM (store.products p
     JOIN store.variants v ON ((v.product_id = p.id)))
  WHERE (p.published_at IS NOT NULL)
  GROUP BY p.id, p.slug, p.title;

CREATE VIEW store.customer_emails AS
 SELECT customers.id, customers.email
   FROM store.customers
  WHERE (customers.deleted_at IS NULL);

CREATE MATERIALIZED VIEW store.daily_sales AS
 SELECT (o.placed_at)::date AS day,
    o.currency,
    count(DISTINCT o.id) AS orders,
    sum((li.quantity * (li.unit_price_cents)::bigint)) AS revenue_cents
   FROM (store.orders o
     JOIN store.line_items li ON (((li.order_id = o.id) AND (li.order_placed_at = o.placed_at))))
  WHERE (o.state <> ALL (ARRAY['cart'::store.order_state, 'cancelled'::store.order_state]))
  GROUP BY ((o.placed_at)::date), o.currency
  WITH NO DATA;

ALTER TABLE ONLY public.schema_migrations ADD CONSTRAINT schema_migrations_pkey PRIMARY KEY (version);
ALTER TABLE ONLY public.ar_internal_metadata ADD CONSTRAINT ar_internal_metadata_pkey PRIMARY KEY (key);
ALTER TABLE ONLY store.customers ADD CONSTRAINT customers_pkey PRIMARY KEY (id);
ALTER TABLE ONLY store.products ADD CONSTRAINT products_pkey PRIMARY KEY (id);
ALTER TABLE ONLY store.variants ADD CONSTRAINT variants_pkey PRIMARY KEY (id);
ALTER TABLE ONLY store.inventory_levels ADD CONSTRAINT inventory_levels_pkey PRIMARY KEY (variant_id);
ALTER TABLE ONLY store.price_changes ADD CONSTRAINT price_changes_pkey PRIMARY KEY (id);
ALTER TABLE store.orders ADD CONSTRAINT orders_pkey PRIMARY KEY (id, placed_at);
ALTER TABLE ONLY store.line_items ADD CONSTRAINT line_items_pkey PRIMARY KEY (id);
ALTER TABLE ONLY store.payments ADD CONSTRAINT payments_pkey PRIMARY KEY (id);

CREATE UNIQUE INDEX index_customers_on_email_live ON store.customers USING btree (email) WHERE (deleted_at IS NULL);
CREATE UNIQUE INDEX index_products_on_slug ON store.products USING btree (slug);
CREATE INDEX index_products_on_title_trgm ON store.products USING gin (title public.gin_trgm_ops);
CREATE INDEX index_products_on_tags ON store.products USING gin (tags);
CREATE INDEX index_products_on_properties ON store.products USING gin (properties jsonb_path_ops);
CREATE UNIQUE INDEX index_variants_on_sku ON store.variants USING btree (sku);
CREATE INDEX index_variants_on_product_id ON store.variants USING btree (product_id);
CREATE UNIQUE INDEX index_orders_on_number_and_placed_at ON store.orders USING btree (number, placed_at);
CREATE INDEX index_orders_on_customer_id ON store.orders USING btree (customer_id);
CREATE INDEX index_orders_open ON store.orders USING btree (placed_at) WHERE (state = ANY (ARRAY['placed'::store.order_state, 'paid'::store.order_state]));
CREATE INDEX index_line_items_on_order ON store.line_items USING btree (order_id, order_placed_at);
CREATE INDEX index_line_items_on_variant_id ON store.line_items USING btree (variant_id);
CREATE UNIQUE INDEX index_payments_on_provider_ref ON store.payments USING btree (provider, provider_ref) WHERE (provider_ref IS NOT NULL);
CREATE INDEX index_price_changes_on_changed_at ON store.price_changes USING brin (changed_at);
CREATE UNIQUE INDEX index_daily_sales_on_day_and_currency ON store.daily_sales USING btree (day, currency);

ALTER TABLE ONLY store.variants
    ADD CONSTRAINT fk_rails_variants_product FOREIGN KEY (product_id) REFERENCES store.products(id) ON DELETE CASCADE;
ALTER TABLE ONLY store.inventory_levels
    ADD CONSTRAINT fk_rails_inventory_variant FOREIGN KEY (variant_id) REFERENCES store.variants(id) ON DELETE CASCADE;
ALTER TABLE store.orders
    ADD CONSTRAINT fk_rails_orders_customer FOREIGN KEY (customer_id) REFERENCES store.customers(id) ON DELETE SET NULL;
ALTER TABLE ONLY store.line_items
    ADD CONSTRAINT fk_rails_line_items_order FOREIGN KEY (order_id, order_placed_at) REFERENCES store.orders(id, placed_at) ON DELETE CASCADE;
ALTER TABLE ONLY store.line_items
    ADD CONSTRAINT fk_rails_line_items_variant FOREIGN KEY (variant_id) REFERENCES store.variants(id);
ALTER TABLE ONLY store.payments
    ADD CONSTRAINT fk_rails_payments_order FOREIGN KEY (order_id, order_placed_at) REFERENCES store.orders(id, placed_at) DEFERRABLE INITIALLY DEFERRED;

CREATE TRIGGER customers_set_updated_at BEFORE UPDATE ON store.customers FOR EACH ROW EXECUTE FUNCTION store.set_updated_at();
CREATE TRIGGER products_set_updated_at BEFORE UPDATE ON store.products FOR EACH ROW EXECUTE FUNCTION store.set_updated_at();
-- A row trigger on the partitioned parent: each partition gets its clone.
CREATE TRIGGER orders_set_updated_at BEFORE UPDATE ON store.orders FOR EACH ROW WHEN ((old.* IS DISTINCT FROM new.*)) EXECUTE FUNCTION store.set_updated_at();
CREATE TRIGGER line_items_reserve_stock AFTER INSERT OR DELETE ON store.line_items FOR EACH ROW EXECUTE FUNCTION store.reserve_stock();
CREATE TRIGGER variants_audit_price AFTER UPDATE ON store.variants REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION store.audit_price_change();

ALTER TABLE store.line_items CLUSTER ON index_line_items_on_order;
CREATE STATISTICS store.line_items_order_variant (ndistinct) ON order_id, variant_id FROM store.line_items;
