-- A few rows in every table of the database, for scripts/app-sweep.sh: a value per column from
-- its type (enums take their first label, domains their base type), 20 rows a table. Tables
-- whose insert fails (a foreign key to a table still empty, a check) are tried again in later
-- passes. Runs in pg_temp, so it leaves nothing in the database it fills.
CREATE FUNCTION pg_temp.value_for(t oid, i text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    b oid := t; typ char; cat char; elem oid; nm text;
BEGIN
    -- domains: their base type
    LOOP
        SELECT typtype, typbasetype INTO typ, elem FROM pg_type WHERE oid = b;
        EXIT WHEN typ <> 'd';
        b := elem;
    END LOOP;
    SELECT typtype, typcategory, typelem, typname INTO typ, cat, elem, nm FROM pg_type WHERE oid = b;
    IF typ = 'e' THEN
        RETURN format('(SELECT enumlabel FROM pg_enum WHERE enumtypid = %s ORDER BY enumsortorder LIMIT 1)::%s', b, b::regtype);
    ELSIF cat = 'A' THEN
        RETURN format('''{}''::%s', t::regtype);
    END IF;
    RETURN CASE
        WHEN nm IN ('int2', 'int4', 'int8', 'numeric', 'float4', 'float8', 'oid') THEN i
        WHEN nm IN ('text', 'varchar', 'bpchar', 'name', 'citext') THEN format('left(''v'' || %s, 1)', i)
        WHEN nm = 'bool' THEN format('(%s %% 2 = 0)', i)
        WHEN nm IN ('timestamp', 'timestamptz') THEN format('''2026-01-15''::timestamp + (%s || '' min'')::interval', i)
        WHEN nm = 'date' THEN format('''2026-01-15''::date + %s', i)
        WHEN nm = 'time' THEN '''12:00'''
        WHEN nm = 'interval' THEN format('(%s || '' s'')::interval', i)
        WHEN nm IN ('json', 'jsonb') THEN '''{}'''
        WHEN nm = 'uuid' THEN format('md5(%s::text)::uuid', i)
        WHEN nm IN ('inet', 'cidr') THEN format('(''10.0.0.'' || %s)::inet', i)
        WHEN nm = 'bytea' THEN format('convert_to(%s::text, ''UTF8'')', i)
        WHEN nm = 'tsvector' THEN format('to_tsvector(''w'' || %s)', i)
        WHEN nm = 'hstore' THEN '''a=>b'''
        WHEN nm = 'money' THEN i
        ELSE NULL
    END;
END $$;

CREATE FUNCTION pg_temp.fill(n int) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    r record; pass int; cols text; vals text; col record; v text; ok boolean; todo oid[];
BEGIN
    SELECT array_agg(c.oid ORDER BY c.oid) INTO todo
    FROM pg_class c JOIN pg_namespace s ON s.oid = c.relnamespace
    WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition
      AND s.nspname NOT LIKE 'pg\_%' AND s.nspname <> 'information_schema'
      AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e');
    FOR pass IN 1..4 LOOP
        FOR r IN SELECT unnest(todo) AS oid LOOP
            cols := ''; vals := ''; ok := true;
            FOR col IN SELECT a.attname, a.atttypid, a.attnotnull, a.atthasdef, a.attgenerated, a.attidentity
                     FROM pg_attribute a WHERE a.attrelid = r.oid AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum LOOP
                CONTINUE WHEN col.attgenerated <> '' OR col.attidentity = 'a';
                v := pg_temp.value_for(col.atttypid, 'i');
                IF v IS NULL THEN
                    CONTINUE WHEN col.atthasdef OR NOT col.attnotnull;
                    ok := false; EXIT;
                END IF;
                cols := cols || CASE WHEN cols = '' THEN '' ELSE ', ' END || quote_ident(col.attname);
                vals := vals || CASE WHEN vals = '' THEN '' ELSE ', ' END || v;
            END LOOP;
            IF NOT ok OR cols = '' THEN
                todo := array_remove(todo, r.oid);
                RAISE NOTICE 'left empty: % (a column of a type it cannot fill)', r.oid::regclass;
                CONTINUE;
            END IF;
            BEGIN
                EXECUTE format('INSERT INTO %s (%s) SELECT %s FROM generate_series(1, %s) i', r.oid::regclass, cols, vals, n);
                todo := array_remove(todo, r.oid);
            EXCEPTION WHEN OTHERS THEN
                IF pass = 4 THEN RAISE NOTICE 'left empty: %: %', r.oid::regclass, SQLERRM; END IF;
            END;
        END LOOP;
    END LOOP;
END $$;

SELECT pg_temp.fill(20);
-- what the rows changed in sequences is as a copy has it; analyze for the row estimate above
ANALYZE;
