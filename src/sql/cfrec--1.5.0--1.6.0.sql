-- cfrec 1.5.0 -> 1.6.0. Run by ALTER EXTENSION cfrec UPDATE; keeps every
-- model, training-log row, impression and reaction as it is.
\echo Use "ALTER EXTENSION cfrec UPDATE TO '1.6.0'" to load this file. \quit

-- cfrec_import_model (issue 14): serve factors trained elsewhere, such as
-- Spark MLlib ALS's userFactors / itemFactors. New functions only.
-- ==========================================================================
-- Models trained elsewhere
-- ==========================================================================

-- Raises 42703 when `rel` has no column `col` (the hint names the argument
-- that sets it), 42804 when its type is not of `kind`: 'integer', 'number'
-- or 'numbers' (a one-dimensional array of numbers).
CREATE FUNCTION @extschema@.cfrec_require_column(rel regclass, col text, argument text, kind text)
RETURNS void
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    problem text;
BEGIN
    SELECT CASE
             WHEN a.attname IS NULL THEN 'missing'
             WHEN kind = 'integer' AND a.atttypid NOT IN ('int2'::regtype, 'int4'::regtype, 'int8'::regtype)
                 THEN 'of an integer type'
             WHEN kind = 'number' AND t.typcategory <> 'N' THEN 'of a numeric type'
             WHEN kind = 'numbers' AND (t.typcategory <> 'A' OR e.typcategory IS DISTINCT FROM 'N')
                 THEN 'an array of numbers (real[] or float8[])'
           END INTO problem
    FROM (SELECT) one
    LEFT JOIN pg_catalog.pg_attribute a
           ON a.attrelid = rel AND a.attname = col AND a.attnum > 0 AND NOT a.attisdropped
    LEFT JOIN pg_catalog.pg_type t ON t.oid = a.atttypid
    LEFT JOIN pg_catalog.pg_type e ON e.oid = t.typelem;
    IF problem = 'missing' THEN
        RAISE EXCEPTION 'column "%" does not exist in %', col, rel USING ERRCODE = 'undefined_column',
            HINT = format('Name the column with %s => ''...''.', argument);
    ELSIF problem IS NOT NULL THEN
        RAISE EXCEPTION 'column "%" of % must be %', col, rel, problem USING ERRCODE = 'datatype_mismatch';
    END IF;
END
$$;

-- Checks every row of a factor table (what cfrec_train guarantees of its
-- own): ids unique and not NULL; features one-dimensional, of one length
-- (1 to 1024), finite and within real's range; biases likewise. Returns the
-- number of rows and of factors.
CREATE FUNCTION @extschema@.cfrec_checked_factors(argument text, rel regclass, id_column text,
                                                  features_column text, bias_column text,
                                                  OUT rows bigint, OUT width integer)
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    duplicates bigint;
    null_ids bigint;
    longest integer;
    bad_features bigint;
    bad_biases bigint;
BEGIN
    PERFORM @extschema@.cfrec_require_column(rel, id_column, 'id_column', 'integer');
    PERFORM @extschema@.cfrec_require_column(rel, features_column, 'features_column', 'numbers');
    IF bias_column IS NOT NULL THEN
        PERFORM @extschema@.cfrec_require_column(rel, bias_column, 'bias_column', 'number');
    END IF;
    EXECUTE format(
        'SELECT pg_catalog.count(*), pg_catalog.count(*) - pg_catalog.count(DISTINCT f.%1$I),
                pg_catalog.count(*) FILTER (WHERE f.%1$I IS NULL),
                pg_catalog.min(pg_catalog.cardinality(f.%2$I)), pg_catalog.max(pg_catalog.cardinality(f.%2$I)),
                pg_catalog.count(*) FILTER (WHERE f.%2$I IS NULL
                    OR pg_catalog.array_ndims(f.%2$I) IS DISTINCT FROM 1
                    OR EXISTS (SELECT FROM pg_catalog.unnest(f.%2$I::pg_catalog.float8[]) x
                               WHERE x IS NULL OR NOT (pg_catalog.abs(x) OPERATOR(pg_catalog.<=) 3.4e38))),
                pg_catalog.count(*) FILTER (WHERE %3$s)
         FROM %4$s f',
        id_column, features_column,
        CASE WHEN bias_column IS NULL THEN 'false'
             ELSE format('f.%1$I IS NULL OR NOT (pg_catalog.abs(f.%1$I::pg_catalog.float8) OPERATOR(pg_catalog.<=) 3.4e38)',
                         bias_column) END,
        rel)
    INTO rows, duplicates, null_ids, width, longest, bad_features, bad_biases;
    IF rows = 0 THEN
        RAISE EXCEPTION '% (%) has no rows', argument, rel USING ERRCODE = 'data_exception';
    ELSIF null_ids > 0 OR duplicates > 0 THEN
        RAISE EXCEPTION '% (%) has % NULL and % duplicate ids', argument, rel, null_ids,
            duplicates - CASE WHEN null_ids > 0 THEN null_ids - 1 ELSE 0 END
            USING ERRCODE = 'data_exception', HINT = 'Every user and item needs exactly one row of factors.';
    ELSIF bad_features > 0 THEN
        RAISE EXCEPTION '% (%) has % rows whose features are NULL, not one-dimensional, or hold NULL, NaN, infinite or out-of-range values',
            argument, rel, bad_features USING ERRCODE = 'data_exception';
    ELSIF bad_biases > 0 THEN
        RAISE EXCEPTION '% (%) has % NULL, NaN, infinite or out-of-range biases', argument, rel, bad_biases
            USING ERRCODE = 'data_exception';
    ELSIF width <> longest OR width < 1 OR longest > 1024 THEN
        RAISE EXCEPTION '% (%) has features of % to % factors', argument, rel, width, longest
            USING ERRCODE = 'data_exception', HINT = 'Every row needs the same number of factors, 1 to 1024.';
    END IF;
END
$$;

-- Registers factors trained elsewhere as a model that every serving
-- function uses. user_factors and item_factors are tables in Spark MLlib
-- ALS's shape (userFactors / itemFactors: id integer, features float[] or
-- real[]), with an optional bias column in each. source holds the
-- interactions the model was trained on, as for cfrec_train: exclude_seen,
-- the popularity fallback, refreshes and cfrec_evaluate read it, and
-- explicit predictions are clipped to its ratings' range. Everything is
-- checked before anything is written; an existing model of that name is
-- replaced, as by a retraining.
CREATE FUNCTION @extschema@.cfrec_import_model(
    model           text,
    user_factors    regclass,
    item_factors    regclass,
    source          regclass,
    feedback        text    DEFAULT 'explicit',
    id_column       text    DEFAULT 'id',
    features_column text    DEFAULT 'features',
    bias_column     text    DEFAULT NULL,   -- in both factor tables; NULL: no biases
    global_mean     float8  DEFAULT 0,      -- explicit: added to every prediction
    user_column     text    DEFAULT 'user_id',
    item_column     text    DEFAULT 'item_id',
    rating_column   text    DEFAULT 'rating',
    regularization  float8  DEFAULT 0.1,    -- what folding in and refreshes solve with
    alpha           float8  DEFAULT 1.0)    -- implicit only
RETURNS @extschema@.cfrec_training_summary
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    started  timestamptz := pg_catalog.clock_timestamp();
    explicit boolean := feedback = 'explicit';
    users    record;
    items    record;
    n_rows   bigint;
    low      real;
    high     real;
    v        bigint;
    owner    name;
    seconds  float8;
BEGIN
    IF model IS NULL OR user_factors IS NULL OR item_factors IS NULL OR source IS NULL
       OR feedback IS NULL OR id_column IS NULL OR features_column IS NULL OR global_mean IS NULL
       OR user_column IS NULL OR item_column IS NULL OR regularization IS NULL OR alpha IS NULL THEN
        RAISE EXCEPTION 'cfrec_import_model arguments must not be NULL' USING ERRCODE = 'null_value_not_allowed',
            HINT = 'Only bias_column (no biases) and, for implicit feedback, rating_column (every row counts 1) may be NULL.';
    END IF;
    IF model = '' THEN
        RAISE EXCEPTION 'model name must not be empty' USING ERRCODE = 'invalid_parameter_value';
    ELSIF pg_catalog.octet_length(model) > 1024 THEN
        RAISE EXCEPTION 'model name is too long (% bytes)', pg_catalog.octet_length(model)
            USING ERRCODE = 'name_too_long', HINT = 'Model names have at most 1024 bytes.';
    ELSIF feedback NOT IN ('explicit', 'implicit') THEN
        RAISE EXCEPTION 'unknown feedback kind "%"', feedback
            USING ERRCODE = 'invalid_parameter_value', HINT = 'Use ''explicit'' or ''implicit''.';
    ELSIF explicit AND rating_column IS NULL THEN
        RAISE EXCEPTION 'explicit feedback needs a rating column' USING ERRCODE = 'null_value_not_allowed',
            HINT = 'Name it with rating_column => ''...'', or import with feedback => ''implicit''.';
    ELSIF NOT (regularization >= 0 AND regularization < 'Infinity' AND alpha > 0 AND alpha < 'Infinity'
               AND global_mean > '-Infinity' AND global_mean < 'Infinity') THEN
        RAISE EXCEPTION 'regularization must be at least 0, alpha above 0, and both and global_mean finite'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF pg_catalog.pg_is_in_recovery() THEN
        RAISE EXCEPTION 'cfrec models cannot be imported on a standby' USING ERRCODE = 'read_only_sql_transaction',
            HINT = 'Import on the primary; the standby serves the model once it has replayed it.';
    END IF;
    IF NOT (pg_catalog.has_table_privilege('@extschema@.cfrec_model', 'INSERT, UPDATE, DELETE')
            AND pg_catalog.has_table_privilege('@extschema@.cfrec_user_factors', 'INSERT, UPDATE, DELETE')
            AND pg_catalog.has_table_privilege('@extschema@.cfrec_item_factors', 'INSERT, UPDATE, DELETE')) THEN
        RAISE EXCEPTION 'permission denied to change cfrec models' USING ERRCODE = 'insufficient_privilege',
            HINT = 'An administrator grants them to roles that train (README, "Privileges").';
    END IF;
    SELECT m.owner INTO owner FROM @extschema@.cfrec_model m WHERE m.name = cfrec_import_model.model;
    IF FOUND AND NOT @extschema@.cfrec_may_change(owner) THEN
        RAISE EXCEPTION 'must have the privileges of role "%", the owner of cfrec model "%"', owner, model
            USING ERRCODE = 'insufficient_privilege',
                  HINT = format('The owner can share its models: GRANT %I TO your_role.', owner);
    END IF;
    -- Locked until the end, so that imports and trainings of one name take turns.
    PERFORM FROM @extschema@.cfrec_model m WHERE m.name = cfrec_import_model.model FOR UPDATE;

    users := @extschema@.cfrec_checked_factors('user_factors', user_factors, id_column, features_column, bias_column);
    items := @extschema@.cfrec_checked_factors('item_factors', item_factors, id_column, features_column, bias_column);
    IF users.width <> items.width THEN
        RAISE EXCEPTION 'user_factors have % factors, item_factors %', users.width, items.width
            USING ERRCODE = 'data_exception', HINT = 'Import the user and item factors of one model.';
    END IF;
    PERFORM @extschema@.cfrec_require_column(source, user_column, 'user_column', 'integer');
    PERFORM @extschema@.cfrec_require_column(source, item_column, 'item_column', 'integer');
    IF rating_column IS NOT NULL THEN
        PERFORM @extschema@.cfrec_require_column(source, rating_column, 'rating_column', 'number');
    END IF;
    EXECUTE format('SELECT pg_catalog.count(*), pg_catalog.min(%3$s), pg_catalog.max(%3$s) FROM %4$s s
                    WHERE s.%1$I IS NOT NULL AND s.%2$I IS NOT NULL',
                   user_column, item_column,
                   CASE WHEN explicit THEN format('s.%I::pg_catalog.float4', rating_column) ELSE 'NULL::pg_catalog.float4' END,
                   source)
    INTO n_rows, low, high;
    IF n_rows = 0 THEN
        RAISE EXCEPTION 'source % has no rows with both ids', source USING ERRCODE = 'data_exception',
            HINT = 'Name the interactions the model was trained on.';
    END IF;

    v := pg_catalog.nextval('@extschema@.cfrec_model_version_seq');
    INSERT INTO @extschema@.cfrec_model AS m (name, feedback, algorithm, source, user_column, item_column,
        rating_column, factors, iterations, regularization, alpha, seed, global_mean, rating_min, rating_max,
        users, items, interactions, loss, train_seconds, trained_at, trained_by, version, base_version, owner)
    VALUES (model, feedback, 'imported', source::text, user_column, item_column, rating_column, users.width,
        0, regularization, CASE WHEN NOT explicit THEN alpha END, 0, CASE WHEN explicit THEN global_mean ELSE 0 END,
        low, high, users.rows, items.rows, n_rows, 'NaN', 0, pg_catalog.clock_timestamp(), CURRENT_USER, v, v,
        CURRENT_USER)
    ON CONFLICT (name) DO UPDATE SET (feedback, algorithm, source, user_column, item_column, rating_column,
        factors, iterations, regularization, alpha, seed, global_mean, rating_min, rating_max, users, items,
        interactions, loss, train_seconds, trained_at, trained_by, version, base_version, watermark_column,
        watermark, updated_at, updates, last_update_users, last_update_items) =
        (EXCLUDED.feedback, EXCLUDED.algorithm, EXCLUDED.source, EXCLUDED.user_column, EXCLUDED.item_column,
         EXCLUDED.rating_column, EXCLUDED.factors, EXCLUDED.iterations, EXCLUDED.regularization,
         EXCLUDED.alpha, EXCLUDED.seed, EXCLUDED.global_mean, EXCLUDED.rating_min, EXCLUDED.rating_max,
         EXCLUDED.users, EXCLUDED.items, EXCLUDED.interactions, EXCLUDED.loss, EXCLUDED.train_seconds,
         EXCLUDED.trained_at, EXCLUDED.trained_by, EXCLUDED.version, EXCLUDED.base_version, NULL, NULL, NULL,
         0, NULL, NULL);
    DELETE FROM @extschema@.cfrec_user_factors f WHERE f.model = cfrec_import_model.model;
    DELETE FROM @extschema@.cfrec_item_factors f WHERE f.model = cfrec_import_model.model;
    EXECUTE format('INSERT INTO @extschema@.cfrec_user_factors (model, id, bias, factors, version)
                    SELECT $1, u.%1$I, %2$s, u.%3$I::pg_catalog.float4[], $2 FROM %4$s u',
                   id_column,
                   CASE WHEN bias_column IS NULL THEN '0' ELSE format('u.%I::pg_catalog.float4', bias_column) END,
                   features_column, user_factors)
    USING model, v;
    -- Each item's training rows: the popularity fallback, as cfrec_train keeps it.
    EXECUTE format('INSERT INTO @extschema@.cfrec_item_factors (model, id, bias, factors, interactions, version)
                    SELECT $1, i.%1$I, %2$s, i.%3$I::pg_catalog.float4[],
                           LEAST(COALESCE(c.n, 0), 2147483647)::pg_catalog.int4, $2
                    FROM %4$s i
                    LEFT JOIN (SELECT s.%5$I::pg_catalog.int8 AS item, pg_catalog.count(*) AS n FROM %6$s s
                               WHERE s.%7$I IS NOT NULL GROUP BY 1) c
                           ON c.item OPERATOR(pg_catalog.=) i.%1$I::pg_catalog.int8',
                   id_column,
                   CASE WHEN bias_column IS NULL THEN '0' ELSE format('i.%I::pg_catalog.float4', bias_column) END,
                   features_column, item_factors, item_column, source, user_column)
    USING model, v;
    seconds := pg_catalog.date_part('epoch', pg_catalog.clock_timestamp() OPERATOR(pg_catalog.-) started);
    UPDATE @extschema@.cfrec_model m SET train_seconds = seconds WHERE m.name = cfrec_import_model.model;
    RAISE NOTICE 'cfrec: imported model "%"', model
        USING DETAIL = format('%s users and %s items with %s factors; %s interactions in %s', users.rows,
                              items.rows, users.width, n_rows, source);
    RETURN ROW(model, feedback, users.rows, items.rows, n_rows, seconds, 'NaN')::@extschema@.cfrec_training_summary;
END
$$;
