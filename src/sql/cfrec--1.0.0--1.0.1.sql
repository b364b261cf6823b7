-- cfrec 1.0.0 -> 1.0.1. Run by ALTER EXTENSION cfrec UPDATE; keeps every
-- model, training-log row, impression and reaction as it is.
\echo Use "ALTER EXTENSION cfrec UPDATE TO '1.0.1'" to load this file. \quit

-- cfrec_split and cfrec_tune report a wrong column name as 42703 with the
-- argument to set, instead of failing inside their dynamic SQL.
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
LANGUAGE plpgsql
-- No SET search_path: unqualified table names are the caller's.
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
    IF parse_ident(train_name) = parse_ident(test_name) THEN
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
    train_q := array_to_string(ARRAY(SELECT quote_ident(x) FROM unnest(parse_ident(train_name)) x), '.');
    test_q := array_to_string(ARRAY(SELECT quote_ident(x) FROM unnest(parse_ident(test_name)) x), '.');
    EXECUTE format('CREATE TABLE %s AS SELECT %s FROM pg_temp.cfrec_split_rows WHERE NOT cfrec_in_test', train_q, cols);
    GET DIAGNOSTICS train_rows = ROW_COUNT;
    EXECUTE format('CREATE TABLE %s AS SELECT %s FROM pg_temp.cfrec_split_rows WHERE cfrec_in_test', test_q, cols);
    GET DIAGNOSTICS test_rows = ROW_COUNT;
    DROP TABLE pg_temp.cfrec_split_rows;
    RETURN NEXT;
END
$$;

CREATE OR REPLACE FUNCTION @extschema@.cfrec_tune(
    source        regclass,
    model         text,
    grid          jsonb,
    folds         integer DEFAULT 3,
    metric        text    DEFAULT NULL,
    k             integer DEFAULT 10,
    seed          bigint  DEFAULT 42,
    feedback      text    DEFAULT 'explicit',
    user_column   text    DEFAULT 'user_id',
    item_column   text    DEFAULT 'item_id',
    rating_column text    DEFAULT 'rating')
RETURNS TABLE (params jsonb, metric_name text, mean float8, std float8, seconds float8, best boolean)
LANGUAGE plpgsql
-- No SET search_path: unqualified table names are the caller's.
AS $$
DECLARE
    allowed text[] := ARRAY['factors', 'iterations', 'regularization', 'alpha', 'algorithm',
                            'learning_rate', 'seed'];
    combos jsonb := '[{}]';
    key text;
    vals jsonb;
    combo jsonb;
    f integer;
    named text;
    m text := coalesce(metric, CASE WHEN feedback = 'implicit' THEN 'ndcg' ELSE 'rmse' END);
    lower_better boolean;
    scratch text := 'cfrec_tune:' || model;
    started timestamptz;
    scores float8[];
    score float8;
    best_params jsonb;
    best_score float8;
    common text;
    tried jsonb := '[]';  -- one object per combination: params, mean, std, seconds
    quiet text;
    missing_argument text;
    missing_column text;
BEGIN
    IF source IS NULL OR model IS NULL OR grid IS NULL OR folds IS NULL OR k IS NULL OR seed IS NULL THEN
        RAISE EXCEPTION 'cfrec_tune arguments must not be NULL' USING ERRCODE = 'null_value_not_allowed';
    END IF;
    IF jsonb_typeof(grid) <> 'object' THEN
        RAISE EXCEPTION 'grid must be a JSON object, not %', jsonb_typeof(grid)
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'For example ''{"factors": [32, 64], "regularization": [0.05, 0.1]}''.';
    END IF;
    IF folds < 2 OR folds > 20 THEN
        RAISE EXCEPTION 'folds must be between 2 and 20' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF m NOT IN ('rmse', 'mae', 'precision', 'recall', 'ndcg', 'map', 'hit_rate') THEN
        RAISE EXCEPTION 'unknown metric "%"', m USING ERRCODE = 'invalid_parameter_value',
            HINT = 'Use rmse, mae, precision, recall, ndcg, map or hit_rate.';
    END IF;
    lower_better := m IN ('rmse', 'mae');
    -- A wrong column name is reported as the argument to set, never as our SQL.
    SELECT c.arg, c.col INTO missing_argument, missing_column
    FROM (VALUES (1, 'user_column', user_column), (2, 'item_column', item_column),
                 (3, 'rating_column', rating_column)) c(n, arg, col)
    WHERE c.col IS NOT NULL AND NOT EXISTS (
        SELECT FROM pg_catalog.pg_attribute a
        WHERE a.attrelid = source AND a.attname = c.col AND a.attnum > 0 AND NOT a.attisdropped)
    ORDER BY c.n LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'column "%" of relation % does not exist', missing_column, source
            USING ERRCODE = 'undefined_column', HINT = format('Name the column with %s => ''...''.', missing_argument)
                || CASE WHEN missing_argument = 'rating_column'
                        THEN ' For implicit feedback, rating_column => NULL counts every row once.' ELSE '' END;
    END IF;
    quiet := current_setting('client_min_messages');
    FOR key, vals IN SELECT e.key, e.value FROM jsonb_each(grid) e LOOP
        IF NOT key = ANY (allowed) THEN
            RAISE EXCEPTION 'grid key "%" is not a cfrec_train argument that can be tuned', key
                USING ERRCODE = 'invalid_parameter_value', HINT = 'Tunable: ' || array_to_string(allowed, ', ') || '.';
        END IF;
        IF jsonb_typeof(vals) <> 'array' THEN
            vals := jsonb_build_array(vals);
        END IF;
        IF jsonb_array_length(vals) = 0 THEN
            RAISE EXCEPTION 'grid key "%" has no values', key USING ERRCODE = 'invalid_parameter_value';
        END IF;
        SELECT jsonb_agg(c.value || jsonb_build_object(key, v.value) ORDER BY c.ordinality, v.ordinality)
        INTO combos
        FROM jsonb_array_elements(combos) WITH ORDINALITY c, jsonb_array_elements(vals) WITH ORDINALITY v;
    END LOOP;

    -- The folds, once: fold j holds the (user, item) pairs whose hash is j.
    EXECUTE format('CREATE TEMP TABLE cfrec_tune_rows ON COMMIT DROP AS SELECT s.*, '
                   '(hashtextextended(s.%I::text || '':'' || s.%I::text, %s) & 2147483647) %% %s AS cfrec_fold FROM %s s',
                   user_column, item_column, seed, folds, source);
    FOR f IN 0 .. folds - 1 LOOP
        EXECUTE format('CREATE TEMP TABLE %I ON COMMIT DROP AS SELECT * FROM pg_temp.cfrec_tune_rows WHERE cfrec_fold <> %s', 'cfrec_tune_train_' || f, f);
        EXECUTE format('CREATE TEMP TABLE %I ON COMMIT DROP AS SELECT * FROM pg_temp.cfrec_tune_rows WHERE cfrec_fold = %s', 'cfrec_tune_test_' || f, f);
    END LOOP;
    common := format('feedback => %L, user_column => %L, item_column => %L, rating_column => %L',
                     feedback, user_column, item_column, rating_column);

    FOR combo IN SELECT value FROM jsonb_array_elements(combos) LOOP
        SELECT coalesce(string_agg(format('%I => %L', e.key, e.value #>> '{}'), ', '), '')
        INTO named FROM jsonb_each(combo) e;
        started := clock_timestamp();
        scores := '{}';
        -- Trainings report their iterations as NOTICEs; quiet them here
        -- (until the end of the transaction, or until restored below).
        PERFORM set_config('client_min_messages', 'warning', true);
        FOR f IN 0 .. folds - 1 LOOP
            EXECUTE format('SELECT 1 FROM @extschema@.cfrec_train(%L, model => %L, %s%s)',
                           'pg_temp.cfrec_tune_train_' || f, scratch, common,
                           CASE WHEN named = '' THEN '' ELSE ', ' || named END);
            SELECT e.value INTO score FROM @extschema@.cfrec_evaluate(scratch, ('pg_temp.cfrec_tune_test_' || f)::regclass, k) e
            WHERE e.metric = m;
            IF score IS NULL THEN
                RAISE EXCEPTION 'metric % is not available for this model', m USING ERRCODE = 'invalid_parameter_value',
                    HINT = 'rmse and mae need explicit feedback with a rating column.';
            END IF;
            scores := scores || score;
        END LOOP;
        SELECT avg(x), coalesce(stddev_samp(x), 0) INTO mean, std FROM unnest(scores) x;
        tried := tried || jsonb_build_array(jsonb_build_object(
            'params', combo, 'mean', mean, 'std', std,
            'seconds', extract(epoch FROM clock_timestamp() - started)));
        IF best_score IS NULL OR (lower_better AND mean < best_score) OR (NOT lower_better AND mean > best_score) THEN
            best_score := mean;
            best_params := combo;
        END IF;
    END LOOP;
    PERFORM @extschema@.cfrec_drop_model(scratch, if_exists => true);
    DROP TABLE pg_temp.cfrec_tune_rows;
    FOR f IN 0 .. folds - 1 LOOP
        EXECUTE format('DROP TABLE pg_temp.%I, pg_temp.%I', 'cfrec_tune_train_' || f, 'cfrec_tune_test_' || f);
    END LOOP;

    -- The final model, on everything, with the best combination.
    SELECT coalesce(string_agg(format('%I => %L', e.key, e.value #>> '{}'), ', '), '')
    INTO named FROM jsonb_each(best_params) e;
    EXECUTE format('SELECT 1 FROM @extschema@.cfrec_train(%L, model => %L, %s%s)', source::text, model, common,
                   CASE WHEN named = '' THEN '' ELSE ', ' || named END);
    PERFORM set_config('client_min_messages', quiet, true);
    RAISE NOTICE 'cfrec_tune: trained "%" with %', model, best_params;
    RETURN QUERY
    SELECT t.value -> 'params', m, (t.value ->> 'mean')::float8, (t.value ->> 'std')::float8,
           (t.value ->> 'seconds')::float8, t.value -> 'params' = best_params
    FROM jsonb_array_elements(tried) WITH ORDINALITY t ORDER BY t.ordinality;
END
$$;
