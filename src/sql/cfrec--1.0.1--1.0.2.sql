-- cfrec 1.0.1 -> 1.0.2. Run by ALTER EXTENSION cfrec UPDATE; keeps every
-- model, training-log row, impression and reaction as it is.
\echo Use "ALTER EXTENSION cfrec UPDATE TO '1.0.2'" to load this file. \quit

-- cfrec_split and cfrec_tune run with a pinned search_path, so no object in
-- the caller's schemas can stand in for one of ours (issue 13, H4).
-- cfrec_split's work moves to cfrec_split_into; cfrec_split passes it the
-- caller's current schema for unqualified table names.
CREATE FUNCTION @extschema@.cfrec_split_into(
    creation_schema name,
    source        regclass,
    train_name    text,
    test_name     text,
    test_fraction float8,
    method        text,
    seed          bigint,
    user_column   text,
    item_column   text,
    time_column   text,
    min_rows      integer)
RETURNS TABLE (train_rows bigint, test_rows bigint)
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    draw text;
    flag text;
    cols text;
    train_q text;
    test_q text;
    missing_argument text;
    missing_column text;
BEGIN
    IF source IS NULL OR train_name IS NULL OR test_name IS NULL OR test_fraction IS NULL
       OR method IS NULL OR seed IS NULL OR user_column IS NULL OR item_column IS NULL
       OR min_rows IS NULL THEN
        RAISE EXCEPTION 'cfrec_split arguments must not be NULL' USING ERRCODE = 'null_value_not_allowed',
            HINT = 'Only time_column may be NULL (for methods other than time).';
    END IF;
    IF NOT (test_fraction > 0 AND test_fraction < 1) THEN
        RAISE EXCEPTION 'test_fraction must be between 0 and 1 (exclusive), not %', test_fraction
            USING ERRCODE = 'invalid_parameter_value', HINT = 'For example 0.2 puts a fifth of the rows into test.';
    END IF;
    IF method NOT IN ('random', 'per_user', 'time') THEN
        RAISE EXCEPTION 'unknown split method "%"', method
            USING ERRCODE = 'invalid_parameter_value', HINT = 'Use ''random'', ''per_user'' or ''time''.';
    END IF;
    IF method = 'time' AND time_column IS NULL THEN
        RAISE EXCEPTION 'method time needs time_column' USING ERRCODE = 'invalid_parameter_value',
            HINT = 'Name the column that orders each user''s rows, e.g. time_column => ''rated_at''.';
    END IF;
    IF min_rows < 1 THEN
        RAISE EXCEPTION 'min_rows must be at least 1' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    -- A name without a schema goes where the caller's CREATE TABLE would put it.
    IF creation_schema IS NULL
       AND (cardinality(parse_ident(train_name)) = 1 OR cardinality(parse_ident(test_name)) = 1) THEN
        RAISE EXCEPTION 'no schema has been selected to create in' USING ERRCODE = 'invalid_schema_name',
            HINT = 'Qualify train_name and test_name with a schema, or set search_path.';
    END IF;
    train_q := array_to_string(ARRAY(SELECT quote_ident(x) FROM unnest(
        CASE WHEN cardinality(parse_ident(train_name)) = 1 THEN ARRAY[creation_schema::text] ELSE '{}' END
        || parse_ident(train_name)) x), '.');
    test_q := array_to_string(ARRAY(SELECT quote_ident(x) FROM unnest(
        CASE WHEN cardinality(parse_ident(test_name)) = 1 THEN ARRAY[creation_schema::text] ELSE '{}' END
        || parse_ident(test_name)) x), '.');
    IF train_q = test_q THEN
        RAISE EXCEPTION 'train_name and test_name must differ' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    -- A wrong column name is reported as the argument to set, never as our SQL.
    SELECT c.arg, c.col INTO missing_argument, missing_column
    FROM (VALUES (1, 'user_column', user_column), (2, 'item_column', item_column),
                 (3, 'time_column', CASE WHEN method = 'time' THEN time_column END)) c(n, arg, col)
    WHERE c.col IS NOT NULL AND NOT EXISTS (
        SELECT FROM pg_catalog.pg_attribute a
        WHERE a.attrelid = source AND a.attname = c.col AND a.attnum > 0 AND NOT a.attisdropped)
    ORDER BY c.n LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'column "%" of relation % does not exist', missing_column, source
            USING ERRCODE = 'undefined_column', HINT = format('Name the column with %s => ''...''.', missing_argument);
    END IF;
    SELECT string_agg(quote_ident(a.attname), ', ' ORDER BY a.attnum) INTO cols
    FROM pg_attribute a WHERE a.attrelid = source AND a.attnum > 0 AND NOT a.attisdropped;
    -- A uniform number in [0, 1) per (seed, user, item).
    draw := format('(hashtextextended(s.%I::text || '':'' || s.%I::text, %s) & 281474976710655)::float8 / 281474976710656',
                   user_column, item_column, seed);
    IF method = 'random' THEN
        flag := format('%s < %s', draw, test_fraction);
    ELSE
        flag := format('count(*) OVER w >= %s AND row_number() OVER (w ORDER BY %s) <= '
                       'greatest(1, round(%s * count(*) OVER w))',
                       min_rows,
                       CASE WHEN method = 'time' THEN format('s.%I DESC, %s', time_column, draw) ELSE draw END,
                       test_fraction);
    END IF;
    EXECUTE format('CREATE TEMP TABLE cfrec_split_rows ON COMMIT DROP AS SELECT s.*, %s AS cfrec_in_test '
                   'FROM %s s%s', flag, source,
                   CASE WHEN method = 'random' THEN '' ELSE format(' WINDOW w AS (PARTITION BY s.%I)', user_column) END);
    EXECUTE format('CREATE TABLE %s AS SELECT %s FROM pg_temp.cfrec_split_rows WHERE NOT cfrec_in_test', train_q, cols);
    GET DIAGNOSTICS train_rows = ROW_COUNT;
    EXECUTE format('CREATE TABLE %s AS SELECT %s FROM pg_temp.cfrec_split_rows WHERE cfrec_in_test', test_q, cols);
    GET DIAGNOSTICS test_rows = ROW_COUNT;
    DROP TABLE pg_temp.cfrec_split_rows;
    RETURN NEXT;
END
$$;

CREATE OR REPLACE FUNCTION @extschema@.cfrec_split(
    source        regclass,
    train_name    text,
    test_name     text,
    test_fraction float8  DEFAULT 0.2,
    method        text    DEFAULT 'random',
    seed          bigint  DEFAULT 42,
    user_column   text    DEFAULT 'user_id',
    item_column   text    DEFAULT 'item_id',
    time_column   text    DEFAULT NULL,
    min_rows      integer DEFAULT 2)
RETURNS TABLE (train_rows bigint, test_rows bigint)
LANGUAGE sql VOLATILE
AS $$
    SELECT * FROM @extschema@.cfrec_split_into(pg_catalog.current_schema(), $1, $2, $3, $4, $5,
                                               $6, $7, $8, $9, $10)
$$;

ALTER FUNCTION @extschema@.cfrec_tune(regclass, text, jsonb, integer, text, integer, bigint, text,
                                      text, text, text)
    SET search_path = pg_catalog, pg_temp;

-- An empty model name is 22023, a negative `since` an error, and metrics of a
-- model that neither exists nor served anything an error (issue 13, low).
CREATE OR REPLACE FUNCTION @extschema@.cfrec_popular(
    k     integer  DEFAULT 10,
    model text     DEFAULT 'default',
    since interval DEFAULT NULL)
RETURNS TABLE (item_id bigint, interactions bigint)
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    m @extschema@.cfrec_model;
    source regclass;
    kind regtype;
BEGIN
    IF k IS NULL OR model IS NULL THEN
        RAISE EXCEPTION 'k and model must not be NULL' USING ERRCODE = 'null_value_not_allowed';
    END IF;
    IF k < 1 OR k > 1000000 THEN
        RAISE EXCEPTION 'k must be between 1 and 1000000, not %', k
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF model = '' THEN
        RAISE EXCEPTION 'model name must not be empty' USING ERRCODE = 'invalid_parameter_value',
            HINT = 'Leave model out to use the model called ''default''.';
    END IF;
    IF since <= interval '0' THEN
        RAISE EXCEPTION 'since must be a positive interval, not %', since
            USING ERRCODE = 'invalid_parameter_value', HINT = 'For example since => ''7 days''.';
    END IF;
    SELECT * INTO m FROM @extschema@.cfrec_model c WHERE c.name = cfrec_popular.model;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'cfrec model "%" does not exist', model
            USING ERRCODE = 'undefined_object',
                  HINT = 'SELECT model FROM cfrec_models lists the trained models.';
    END IF;
    IF since IS NULL THEN
        RETURN QUERY SELECT f.id, f.interactions::bigint FROM @extschema@.cfrec_item_factors f
                     WHERE f.model = m.name ORDER BY f.interactions DESC, f.id LIMIT k;
        RETURN;
    END IF;
    source := m.source::regclass;  -- parsed as a name, never pasted as text
    SELECT a.atttypid::regtype INTO kind FROM pg_attribute a
    WHERE a.attrelid = source AND a.attname = m.watermark_column AND NOT a.attisdropped;
    IF kind IS NULL OR kind NOT IN ('timestamptz'::regtype, 'timestamp'::regtype, 'date'::regtype) THEN
        RAISE EXCEPTION 'cfrec model "%" has no timestamp watermark column', model
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  HINT = 'since needs a model trained with watermark_column => a timestamp or date column.';
    END IF;
    RETURN QUERY EXECUTE format(
        'SELECT %I::bigint, count(*) FROM %s WHERE %I >= now() - $1 AND %I IS NOT NULL '
        'GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT $2',
        m.item_column, source, m.watermark_column, m.item_column) USING since, k;
END
$$;

CREATE OR REPLACE FUNCTION @extschema@.cfrec_drop_model(model text, if_exists boolean DEFAULT false)
RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF model IS NULL OR if_exists IS NULL THEN
        RAISE EXCEPTION 'model and if_exists must not be NULL'
            USING ERRCODE = 'null_value_not_allowed';
    END IF;
    IF model = '' THEN
        RAISE EXCEPTION 'model name must not be empty' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    DELETE FROM @extschema@.cfrec_model m WHERE m.name = cfrec_drop_model.model;
    IF NOT FOUND THEN
        IF if_exists THEN
            RAISE NOTICE 'cfrec model "%" does not exist, skipping', model;
            RETURN;
        END IF;
        RAISE EXCEPTION 'cfrec model "%" does not exist', model
            USING ERRCODE = 'undefined_object',
                  HINT = 'SELECT model FROM cfrec_models lists the trained models.';
    END IF;
    DELETE FROM @extschema@.cfrec_user_factors f WHERE f.model = cfrec_drop_model.model;
    DELETE FROM @extschema@.cfrec_item_factors f WHERE f.model = cfrec_drop_model.model;
END
$$;

CREATE OR REPLACE FUNCTION @extschema@.cfrec_online_metrics(
    model text,
    since timestamptz DEFAULT now() - interval '1 day',
    k     integer     DEFAULT 3)
RETURNS TABLE (metric text, value float8)
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF model IS NULL OR since IS NULL OR k IS NULL THEN
        RAISE EXCEPTION 'model, since and k must not be NULL' USING ERRCODE = 'null_value_not_allowed';
    END IF;
    IF k < 1 THEN
        RAISE EXCEPTION 'k must be at least 1, not %', k USING ERRCODE = 'invalid_parameter_value';
    END IF;
    -- A dropped model's sessions still count; a name never used is a mistake.
    IF NOT EXISTS (SELECT FROM @extschema@.cfrec_model c WHERE c.name = cfrec_online_metrics.model)
       AND NOT EXISTS (SELECT FROM @extschema@.cfrec_impressions i WHERE i.model = cfrec_online_metrics.model) THEN
        RAISE EXCEPTION 'cfrec model "%" does not exist and has served no sessions', model
            USING ERRCODE = 'undefined_object',
                  HINT = 'SELECT model FROM cfrec_models lists the trained models.';
    END IF;
    RETURN QUERY
    WITH shown AS (
        SELECT i.session_id, i.item_id, i.rank, r.liked
        FROM @extschema@.cfrec_impressions i
        LEFT JOIN @extschema@.cfrec_reactions r USING (session_id, item_id)
        WHERE i.model = cfrec_online_metrics.model AND i.shown_at >= since),
    sessions AS (
        SELECT s.session_id,
               count(*) FILTER (WHERE s.rank <= k AND s.liked) AS liked_top,
               count(*) FILTER (WHERE s.liked) AS liked_all,
               count(*) FILTER (WHERE s.rank <= k) AS shown_top,
               count(*) FILTER (WHERE s.rank <= k AND s.liked IS NOT NULL) AS reacted_top
        FROM shown s GROUP BY s.session_id)
    SELECT m.metric, m.value FROM (
        SELECT avg(liked_top::float8 / k) AS precision,
               avg(liked_top::float8 / liked_all) FILTER (WHERE liked_all > 0) AS recall,
               sum(reacted_top)::float8 / nullif(sum(shown_top), 0) AS click_through,
               count(*)::float8 AS sessions,
               coalesce(sum(shown_top), 0)::float8 AS impressions,
               coalesce(sum(reacted_top), 0)::float8 AS reactions,
               coalesce(sum(liked_top), 0)::float8 AS likes
        FROM sessions) a,
    LATERAL (VALUES ('precision', a.precision), ('recall', a.recall),
                    ('click_through', a.click_through), ('sessions', a.sessions),
                    ('impressions', a.impressions), ('reactions', a.reactions),
                    ('likes', a.likes)) m(metric, value);
END
$$;
