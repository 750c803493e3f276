-- forum: a Rails application that keeps everything in `public`, as most do, extensions
-- included, dumped to db/structure.sql with the search_path of the older pg_dump (unqualified
-- names). What the sweep over real applications' structure.sql files found breaking a copy,
-- in one self-written schema:
-- - functions calling the extensions `public` holds (`public.unaccent(…)`, a dictionary named
--   `'public.unaccent'::regdictionary`): a copy renamed in the same database shares those
--   extensions, so the calls must keep naming `public`;
-- - a table clustered on its primary key (`CLUSTER posts USING posts_pkey`);
-- - a materialized view refreshed before its tables changed (the rows are added by data.sql);
-- - tsvector_update_trigger naming the app's own text search configuration, which a renamed
--   copy must name in its schema (a string, not a reference the server follows);
-- and around them what such apps hold: uuid-ossp defaults, hstore and citext columns, a domain
-- over citext, an ICU collation, a text search configuration over unaccent with generated
-- tsvector columns and tsvector_update_trigger, an aggregate, a function taking a table's row
-- type (que), a check constraint calling a function, an unlogged table, fillfactor, trigram and
-- jsonb_path_ops indexes, inheritance children routed by a trigger (danbooru's favorites), a
-- rule, a view WITH CHECK OPTION, a shared sequence, and a trigger function with its own
-- search_path. Written for pggraft's fidelity tests.
SET statement_timeout = 0;
SET client_encoding = 'UTF8';
SET standard_conforming_strings = on;
SET check_function_bodies = false;
SET client_min_messages = warning;

CREATE EXTENSION IF NOT EXISTS "uuid-ossp" WITH SCHEMA public;
CREATE EXTENSION IF NOT EXISTS hstore WITH SCHEMA public;
CREATE EXTENSION IF NOT EXISTS citext WITH SCHEMA public;
CREATE EXTENSION IF NOT EXISTS pg_trgm WITH SCHEMA public;
CREATE EXTENSION IF NOT EXISTS unaccent WITH SCHEMA public;

SET search_path = public, pg_catalog;

CREATE COLLATION case_insensitive (provider = icu, locale = 'und-u-ks-level2', deterministic = false);

CREATE TEXT SEARCH CONFIGURATION forum_search (COPY = pg_catalog.simple);
ALTER TEXT SEARCH CONFIGURATION forum_search
    ALTER MAPPING FOR hword, hword_part, word WITH public.unaccent, simple;

-- unaccent() is STABLE; indexes need an IMMUTABLE wrapper naming its dictionary.
CREATE FUNCTION immutable_unaccent(text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
    AS $_$ SELECT public.unaccent('public.unaccent'::regdictionary, $1) $_$;

CREATE FUNCTION slugify(v text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    BEGIN ATOMIC
     SELECT lower(regexp_replace(public.immutable_unaccent(v), '[^a-zA-Z0-9]+'::text, '-'::text, 'g'::text));
    END;

CREATE AGGREGATE array_cat_agg(anycompatiblearray) (SFUNC = array_cat, STYPE = anycompatiblearray);

CREATE TYPE post_rating AS ENUM ('general', 'sensitive', 'questionable', 'explicit');

CREATE DOMAIN email_address AS public.citext
    CONSTRAINT email_address_check CHECK (VALUE OPERATOR(public.~) '^[^@ ]+@[^@ ]+$'::public.citext);

CREATE FUNCTION set_updated_at() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path TO 'public', 'pg_temp'
    AS $$
BEGIN
  NEW.updated_at := clock_timestamp();
  RETURN NEW;
END;
$$;

CREATE FUNCTION valid_tags(tags jsonb) RETURNS boolean
    LANGUAGE sql IMMUTABLE
    AS $$
  SELECT coalesce(bool_and(jsonb_typeof(value) = 'string' AND char_length(value::text) <= 100), true)
  FROM jsonb_array_elements(tags)
$$;

SET default_tablespace = '';

CREATE TABLE users (
    id uuid DEFAULT uuid_generate_v4() NOT NULL,
    email email_address NOT NULL,
    name character varying COLLATE case_insensitive NOT NULL,
    slug text GENERATED ALWAYS AS (slugify((name)::text)) STORED,
    preferences hstore DEFAULT ''::hstore NOT NULL,
    created_at timestamp(6) without time zone NOT NULL,
    updated_at timestamp(6) without time zone NOT NULL
);

CREATE TABLE posts (
    id integer NOT NULL,
    user_id uuid NOT NULL,
    title character varying NOT NULL,
    body text DEFAULT ''::text NOT NULL,
    rating post_rating DEFAULT 'general'::post_rating NOT NULL,
    tag_string text DEFAULT ''::text NOT NULL,
    tag_index tsvector,
    search tsvector GENERATED ALWAYS AS (to_tsvector('public.forum_search'::regconfig, (((title)::text || ' '::text) || body))) STORED,
    tags jsonb DEFAULT '[]'::jsonb NOT NULL,
    created_at timestamp(6) without time zone NOT NULL,
    updated_at timestamp(6) without time zone NOT NULL,
    CONSTRAINT posts_tags_valid CHECK (((jsonb_typeof(tags) = 'array'::text) AND valid_tags(tags)))
)
WITH (fillfactor='90');

CREATE SEQUENCE posts_id_seq AS integer START WITH 1 INCREMENT BY 1 NO MINVALUE NO MAXVALUE CACHE 1;
ALTER SEQUENCE posts_id_seq OWNED BY posts.id;
ALTER TABLE ONLY posts ALTER COLUMN id SET DEFAULT nextval('posts_id_seq'::regclass);

CREATE FUNCTION post_state(post posts) RETURNS text
    LANGUAGE sql STABLE
    AS $$
  SELECT CASE WHEN post.rating = 'explicit' THEN 'hidden' WHEN post.tag_string = '' THEN 'untagged' ELSE 'listed' END
$$;

-- danbooru's favorites: children of one table, chosen by a trigger.
CREATE TABLE favorites (
    id bigint NOT NULL,
    user_id uuid NOT NULL,
    post_id integer NOT NULL,
    bucket integer NOT NULL
);
CREATE SEQUENCE favorites_id_seq START WITH 1 INCREMENT BY 1 NO MINVALUE NO MAXVALUE CACHE 1;
ALTER SEQUENCE favorites_id_seq OWNED BY favorites.id;
ALTER TABLE ONLY favorites ALTER COLUMN id SET DEFAULT nextval('favorites_id_seq'::regclass);
CREATE TABLE favorites_0 (CONSTRAINT favorites_0_bucket_check CHECK ((bucket = 0))) INHERITS (favorites);
CREATE TABLE favorites_1 (CONSTRAINT favorites_1_bucket_check CHECK ((bucket = 1))) INHERITS (favorites);

CREATE FUNCTION favorites_insert_trigger() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
begin
  if (NEW.bucket = 0) then
    insert into favorites_0 values (NEW.*);
  elsif (NEW.bucket = 1) then
    insert into favorites_1 values (NEW.*);
  end if;
  return NULL;
end;
$$;

-- que's job table: unlogged lockers, a check calling a function.
CREATE UNLOGGED TABLE job_lockers (
    pid integer NOT NULL,
    queues text[] NOT NULL,
    listening boolean NOT NULL,
    CONSTRAINT valid_queues CHECK (((array_ndims(queues) = 1) AND (array_length(queues, 1) IS NOT NULL)))
);

CREATE SEQUENCE global_id_seq START WITH 1000 INCREMENT BY 5 MINVALUE 10 MAXVALUE 100000000 CACHE 1 CYCLE;

CREATE TABLE comments (
    id bigint DEFAULT nextval('global_id_seq'::regclass) NOT NULL,
    post_id integer NOT NULL,
    user_id uuid,
    body text NOT NULL
);

CREATE TABLE audit_log (
    id bigint DEFAULT nextval('global_id_seq'::regclass) NOT NULL,
    tbl text NOT NULL,
    at timestamp with time zone DEFAULT now() NOT NULL
);

CREATE TABLE schema_migrations (version character varying NOT NULL);
CREATE TABLE ar_internal_metadata (
    key character varying NOT NULL,
    value character varying,
    created_at timestamp(6) without time zone NOT NULL,
    updated_at timestamp(6) without time zone NOT NULL
);

CREATE VIEW listed_posts AS
 SELECT p.id, p.title, post_state(p.*) AS state, 'public.posts'::regclass AS source
   FROM posts p
  WHERE (post_state(p.*) = 'listed'::text)
  WITH LOCAL CHECK OPTION;

CREATE VIEW user_tags AS
 SELECT p.user_id, array_cat_agg(string_to_array(p.tag_string, ' '::text)) AS tags
   FROM posts p
  GROUP BY p.user_id;

-- Created (and refreshed) before data.sql adds the posts: stale, as such views often are.
CREATE MATERIALIZED VIEW post_counts AS
 SELECT rating, count(*) AS n
   FROM posts
  GROUP BY rating
  WITH DATA;

ALTER TABLE ONLY users ADD CONSTRAINT users_pkey PRIMARY KEY (id);
ALTER TABLE ONLY posts ADD CONSTRAINT posts_pkey PRIMARY KEY (id);
ALTER TABLE ONLY favorites ADD CONSTRAINT favorites_pkey PRIMARY KEY (id);
ALTER TABLE ONLY favorites_0 ADD CONSTRAINT favorites_0_pkey PRIMARY KEY (id);
ALTER TABLE ONLY favorites_1 ADD CONSTRAINT favorites_1_pkey PRIMARY KEY (id);
ALTER TABLE ONLY job_lockers ADD CONSTRAINT job_lockers_pkey PRIMARY KEY (pid);
ALTER TABLE ONLY comments ADD CONSTRAINT comments_pkey PRIMARY KEY (id);
ALTER TABLE ONLY audit_log ADD CONSTRAINT audit_log_pkey PRIMARY KEY (id);
ALTER TABLE ONLY schema_migrations ADD CONSTRAINT schema_migrations_pkey PRIMARY KEY (version);
ALTER TABLE ONLY ar_internal_metadata ADD CONSTRAINT ar_internal_metadata_pkey PRIMARY KEY (key);

CLUSTER posts USING posts_pkey;
ALTER TABLE comments CLUSTER ON comments_pkey;

CREATE UNIQUE INDEX index_users_on_email ON users USING btree (email);
CREATE INDEX index_users_on_name_trgm ON users USING gin (name gin_trgm_ops);
CREATE INDEX index_users_on_unaccented_name ON users USING btree (immutable_unaccent((name)::text) COLLATE "C" text_pattern_ops);
CREATE INDEX index_users_on_preferences ON users USING gin (preferences);
CREATE INDEX index_posts_on_search ON posts USING gin (search);
CREATE INDEX index_posts_on_tag_index ON posts USING gin (tag_index);
CREATE INDEX index_posts_on_tags ON posts USING gin (tags jsonb_path_ops);
CREATE INDEX index_posts_on_created_at_date ON posts USING btree (date(created_at));
CREATE INDEX index_posts_on_user_id ON posts USING btree (user_id) WHERE (rating <> 'explicit'::post_rating);
CREATE INDEX index_favorites_0_on_user_id ON favorites_0 USING btree (user_id);
CREATE INDEX index_favorites_1_on_user_id ON favorites_1 USING btree (user_id);
CREATE UNIQUE INDEX index_post_counts_on_rating ON post_counts USING btree (rating);

CREATE TRIGGER users_updated_at BEFORE UPDATE ON users FOR EACH ROW EXECUTE FUNCTION set_updated_at();
CREATE TRIGGER posts_updated_at BEFORE UPDATE ON posts FOR EACH ROW EXECUTE FUNCTION set_updated_at();
CREATE TRIGGER trigger_posts_on_tag_index_update BEFORE INSERT OR UPDATE ON posts
    FOR EACH ROW EXECUTE FUNCTION tsvector_update_trigger('tag_index', 'public.forum_search', 'tag_string');
CREATE TRIGGER insert_favorites_trigger BEFORE INSERT ON favorites FOR EACH ROW EXECUTE FUNCTION favorites_insert_trigger();
COMMENT ON TRIGGER insert_favorites_trigger ON favorites IS 'routes rows to favorites_N';

CREATE RULE log_post_deletes AS ON DELETE TO posts DO ALSO INSERT INTO audit_log (tbl) VALUES ('posts'::text);

ALTER TABLE ONLY posts ADD CONSTRAINT fk_rails_posts_user FOREIGN KEY (user_id) REFERENCES users(id);
ALTER TABLE ONLY comments ADD CONSTRAINT fk_rails_comments_post FOREIGN KEY (post_id) REFERENCES posts(id) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED;
ALTER TABLE ONLY comments ADD CONSTRAINT fk_rails_comments_user FOREIGN KEY (user_id) REFERENCES users(id) ON DELETE SET NULL;

COMMENT ON COLUMN posts.tag_index IS 'kept by trigger_posts_on_tag_index_update';
COMMENT ON INDEX index_users_on_unaccented_name IS 'prefix search without accents';
