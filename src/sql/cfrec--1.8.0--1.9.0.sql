-- cfrec 1.8.0 -> 1.9.0. Run by ALTER EXTENSION cfrec UPDATE; keeps every
-- model, training-log row, impression and reaction (owners, readers and the
-- roles that served sessions become role OIDs).
\echo Use "ALTER EXTENSION cfrec UPDATE TO '1.9.0'" to load this file. \quit

-- cfrec's tables become cfrec's catalog: only its functions write them, as
-- their owner, after checking the caller. Who may train is the predefined
-- role cfrec_trainer; roles granted writes before become its members, and
-- every write grant goes.
DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'cfrec_trainer') THEN
        CREATE ROLE cfrec_trainer NOLOGIN;
    END IF;
END
$$;

DO $$
DECLARE
    r record;
BEGIN
    FOR r IN SELECT DISTINCT a.grantee::pg_catalog.regrole AS role
             FROM pg_catalog.pg_class c, pg_catalog.aclexplode(c.relacl) a
             WHERE c.oid = '@extschema@.cfrec_model'::pg_catalog.regclass AND a.privilege_type = 'INSERT'
               AND a.grantee <> c.relowner AND a.grantee <> 0 LOOP
        EXECUTE pg_catalog.format('GRANT cfrec_trainer TO %s', r.role);
        RAISE NOTICE 'cfrec: role % may train as a member of cfrec_trainer now', r.role;
    END LOOP;
    FOR r IN SELECT DISTINCT c.oid::pg_catalog.regclass AS rel, c.relkind,
                    CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE a.grantee::pg_catalog.regrole::pg_catalog.text END AS role
             FROM pg_catalog.pg_class c, pg_catalog.aclexplode(c.relacl) a
             WHERE c.relnamespace = '@extschema@'::pg_catalog.regnamespace
               AND c.relname IN ('cfrec_model', 'cfrec_user_factors', 'cfrec_item_factors', 'cfrec_training_log',
                                 'cfrec_impressions', 'cfrec_reactions', 'cfrec_model_version_seq',
                                 'cfrec_training_log_id_seq')
               AND a.grantee <> c.relowner AND a.privilege_type <> 'SELECT' LOOP
        EXECUTE pg_catalog.format(CASE WHEN r.relkind = 'S' THEN 'REVOKE USAGE, UPDATE ON SEQUENCE %s FROM %s'
                                       ELSE 'REVOKE INSERT, UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER ON %s FROM %s' END,
                                  r.rel, r.role);
    END LOOP;
END
$$;

-- Versions and log ids are taken only by cfrec's functions, as the owner.
REVOKE ALL ON SEQUENCE @extschema@.cfrec_model_version_seq, @extschema@.cfrec_training_log_id_seq
    FROM PUBLIC;

-- Owners, readers and servers by role OID: a role dropped and created again
-- under the same name owns, reads and reacts to nothing. A role already
-- dropped becomes OID 0, which only superusers pass for.
DROP POLICY cfrec_model_created ON @extschema@.cfrec_model;
DROP POLICY cfrec_model_changed ON @extschema@.cfrec_model;
DROP POLICY cfrec_model_dropped ON @extschema@.cfrec_model;
DROP POLICY cfrec_user_factors_changed ON @extschema@.cfrec_user_factors;
DROP POLICY cfrec_item_factors_changed ON @extschema@.cfrec_item_factors;
DROP POLICY cfrec_training_log_written ON @extschema@.cfrec_training_log;
DROP POLICY cfrec_impressions_read ON @extschema@.cfrec_impressions;
DROP POLICY cfrec_impressions_written ON @extschema@.cfrec_impressions;
DROP POLICY cfrec_impressions_deleted ON @extschema@.cfrec_impressions;
DROP POLICY cfrec_reactions_seen ON @extschema@.cfrec_reactions;
DROP VIEW @extschema@.cfrec_models;
DROP FUNCTION @extschema@.cfrec_changeable_models();
DROP FUNCTION @extschema@.cfrec_grant(text, text);
DROP FUNCTION @extschema@.cfrec_revoke(text, text);
DROP FUNCTION @extschema@.cfrec_reader_name(text, text);
DROP FUNCTION @extschema@.cfrec_may_read(name, name[]);
DROP FUNCTION @extschema@.cfrec_may_change(name);

CREATE FUNCTION @extschema@.cfrec_upgrade_role(role name) RETURNS regrole
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp
AS $$ SELECT coalesce(pg_catalog.to_regrole(pg_catalog.quote_ident(role)), 0::pg_catalog.oid::pg_catalog.regrole) $$;
CREATE FUNCTION @extschema@.cfrec_upgrade_readers(readers name[]) RETURNS regrole[]
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp
AS $$
    SELECT coalesce(pg_catalog.array_agg(CASE WHEN r = 'public' THEN 0::pg_catalog.oid::pg_catalog.regrole
                                              ELSE pg_catalog.to_regrole(pg_catalog.quote_ident(r)) END ORDER BY n),
                    '{}')
    FROM pg_catalog.unnest(readers) WITH ORDINALITY u(r, n)
    WHERE r = 'public' OR pg_catalog.to_regrole(pg_catalog.quote_ident(r)) IS NOT NULL
$$;
ALTER TABLE @extschema@.cfrec_model ALTER COLUMN readers DROP DEFAULT;
ALTER TABLE @extschema@.cfrec_model
    ALTER COLUMN owner TYPE regrole USING @extschema@.cfrec_upgrade_role(owner),
    ALTER COLUMN readers TYPE regrole[] USING @extschema@.cfrec_upgrade_readers(readers);
ALTER TABLE @extschema@.cfrec_model ALTER COLUMN readers SET DEFAULT '{}';
ALTER TABLE @extschema@.cfrec_impressions
    ALTER COLUMN served_by TYPE regrole USING @extschema@.cfrec_upgrade_role(served_by);
DROP FUNCTION @extschema@.cfrec_upgrade_readers(name[]);
DROP FUNCTION @extschema@.cfrec_upgrade_role(name);

CREATE FUNCTION @extschema@.cfrec_may_change(owner regrole)
RETURNS boolean
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT EXISTS (SELECT FROM pg_catalog.pg_roles r WHERE r.rolname = CURRENT_USER AND r.rolsuper)
        OR EXISTS (SELECT FROM pg_catalog.pg_roles r
                   WHERE r.oid = owner::pg_catalog.oid AND pg_catalog.pg_has_role(r.oid, 'USAGE'))
$$;

CREATE FUNCTION @extschema@.cfrec_may_read(owner regrole, readers regrole[])
RETURNS boolean
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT 0::pg_catalog.oid = ANY (readers::pg_catalog.oid[])
        OR @extschema@.cfrec_may_change(owner)
        OR EXISTS (SELECT FROM pg_catalog.pg_roles r
                   WHERE r.oid = ANY (readers::pg_catalog.oid[]) AND pg_catalog.pg_has_role(r.oid, 'USAGE'))
$$;

CREATE FUNCTION @extschema@.cfrec_grant(model text, grantee text)
RETURNS void
AS 'MODULE_PATHNAME', 'cfrec_grant'
LANGUAGE C VOLATILE;

CREATE FUNCTION @extschema@.cfrec_revoke(model text, grantee text)
RETURNS void
AS 'MODULE_PATHNAME', 'cfrec_revoke'
LANGUAGE C VOLATILE;

CREATE POLICY cfrec_impressions_read ON @extschema@.cfrec_impressions FOR SELECT
    USING (served_by::pg_catalog.oid = (SELECT r.oid FROM pg_catalog.pg_roles r WHERE r.rolname = CURRENT_USER)
           OR model = ANY (ARRAY(SELECT @extschema@.cfrec_readable_models())));

CREATE POLICY cfrec_reactions_seen ON @extschema@.cfrec_reactions FOR SELECT
    USING (EXISTS (SELECT FROM @extschema@.cfrec_impressions i
                   WHERE i.session_id = cfrec_reactions.session_id
                     AND i.item_id = cfrec_reactions.item_id));

CREATE VIEW @extschema@.cfrec_models AS
SELECT m.name AS model, m.feedback, m.algorithm, m.source,
       m.user_column, m.item_column, m.rating_column,
       m.factors, m.iterations, m.regularization, m.alpha, m.seed,
       m.users, m.items, m.interactions,
       (m.users + m.items) * m.factors * 4 AS factor_bytes,
       m.loss, m.train_seconds, m.trained_at, m.trained_by, m.version,
       m.watermark_column, m.watermark, m.updated_at, m.updates,
       m.last_update_users, m.last_update_items, m.owner,
       ARRAY(SELECT CASE WHEN r::pg_catalog.oid = 0 THEN 'public' ELSE r::pg_catalog.text END
             FROM pg_catalog.unnest(m.readers) r)::pg_catalog.name[] AS readers
FROM @extschema@.cfrec_model m;

GRANT SELECT ON @extschema@.cfrec_models TO PUBLIC;

-- The functions that wrote cfrec's tables as their caller now write through
-- cfrec's code.
CREATE OR REPLACE FUNCTION @extschema@.cfrec_drop_model(model text, if_exists boolean DEFAULT false)
RETURNS void
AS 'MODULE_PATHNAME', 'cfrec_drop_model'
LANGUAGE C VOLATILE;

CREATE OR REPLACE FUNCTION @extschema@.cfrec_serve(user_id bigint, k integer DEFAULT 10,
                                        model text DEFAULT 'default')
RETURNS TABLE (session_id uuid, rank integer, item_id bigint, score real)
AS 'MODULE_PATHNAME', 'cfrec_serve'
LANGUAGE C VOLATILE;

CREATE OR REPLACE FUNCTION @extschema@.cfrec_feedback(session_id uuid, item_id bigint,
                                           liked boolean DEFAULT true)
RETURNS void
AS 'MODULE_PATHNAME', 'cfrec_feedback'
LANGUAGE C VOLATILE;

-- cfrec_tune's scratch models take a name nobody can take first.
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
SET search_path = pg_catalog, pg_temp
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
    -- A name nobody can take first: the scratch models live only inside this call.
    scratch text := 'cfrec_tune:' || pg_catalog.gen_random_uuid()::text;
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

-- cfrec_import_model reads each table once, into a private copy that is
-- checked and then stored.
DROP FUNCTION @extschema@.cfrec_checked_factors(text, regclass, text, text, text);

CREATE FUNCTION @extschema@.cfrec_checked_factors(argument text, rel regclass, copy regclass,
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
    EXECUTE format(
        'SELECT pg_catalog.count(*), pg_catalog.count(*) - pg_catalog.count(DISTINCT f.id),
                pg_catalog.count(*) FILTER (WHERE f.id IS NULL),
                pg_catalog.min(pg_catalog.cardinality(f.features)), pg_catalog.max(pg_catalog.cardinality(f.features)),
                pg_catalog.count(*) FILTER (WHERE f.features IS NULL
                    OR pg_catalog.array_ndims(f.features) IS DISTINCT FROM 1
                    OR EXISTS (SELECT FROM pg_catalog.unnest(f.features) x
                               WHERE x IS NULL OR NOT (pg_catalog.abs(x) OPERATOR(pg_catalog.<=) 3.4e38))),
                pg_catalog.count(*) FILTER (WHERE f.bias IS NULL
                    OR NOT (pg_catalog.abs(f.bias) OPERATOR(pg_catalog.<=) 3.4e38))
         FROM %s f', copy)
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

CREATE FUNCTION @extschema@.cfrec_store_imported(
    model text, feedback text, user_factors regclass, item_factors regclass, source regclass,
    user_column text, item_column text, rating_column text, regularization float8,
    alpha float8, global_mean float8, rating_min real, rating_max real, interactions bigint)
RETURNS @extschema@.cfrec_training_summary
AS 'MODULE_PATHNAME', 'cfrec_store_imported'
LANGUAGE C VOLATILE;

CREATE OR REPLACE FUNCTION @extschema@.cfrec_import_model(
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
    explicit boolean := feedback = 'explicit';
    users    record;
    items    record;
    n_rows   bigint;
    low      real;
    high     real;
    owner    regrole;
    copy_sql text := 'CREATE TEMP TABLE %I ON COMMIT DROP AS SELECT f.%I::pg_catalog.int8 AS id, '
                     'f.%I::pg_catalog.float8[] AS features, %s AS bias FROM %s f';
    bias_sql text := CASE WHEN bias_column IS NULL THEN '0::pg_catalog.float8'
                          ELSE format('f.%I::pg_catalog.float8', bias_column) END;
    summary  @extschema@.cfrec_training_summary;
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
    IF NOT (EXISTS (SELECT FROM pg_catalog.pg_roles r WHERE r.rolname = CURRENT_USER AND r.rolsuper)
            OR coalesce(pg_catalog.pg_has_role(pg_catalog.to_regrole('cfrec_trainer'), 'USAGE'), false)) THEN
        RAISE EXCEPTION 'permission denied to train cfrec models' USING ERRCODE = 'insufficient_privilege',
            HINT = 'An administrator lets a role train with GRANT cfrec_trainer TO that_role.';
    END IF;
    SELECT m.owner INTO owner FROM @extschema@.cfrec_model m WHERE m.name = cfrec_import_model.model;
    IF FOUND AND NOT @extschema@.cfrec_may_change(owner) THEN
        RAISE EXCEPTION 'must have the privileges of role "%", the owner of cfrec model "%"', owner, model
            USING ERRCODE = 'insufficient_privilege',
                  HINT = format('The owner can share its models: GRANT %I TO your_role.', owner);
    END IF;

    -- Each factor table is read once, into a private copy: what is checked
    -- below is exactly what is stored, whatever a view returns when read again.
    PERFORM @extschema@.cfrec_require_column(user_factors, id_column, 'id_column', 'integer');
    PERFORM @extschema@.cfrec_require_column(user_factors, features_column, 'features_column', 'numbers');
    IF bias_column IS NOT NULL THEN
        PERFORM @extschema@.cfrec_require_column(user_factors, bias_column, 'bias_column', 'number');
    END IF;
    EXECUTE format(copy_sql, 'cfrec_import_users', id_column, features_column, bias_sql, user_factors);
    users := @extschema@.cfrec_checked_factors('user_factors', user_factors, 'pg_temp.cfrec_import_users');
    PERFORM @extschema@.cfrec_require_column(item_factors, id_column, 'id_column', 'integer');
    PERFORM @extschema@.cfrec_require_column(item_factors, features_column, 'features_column', 'numbers');
    IF bias_column IS NOT NULL THEN
        PERFORM @extschema@.cfrec_require_column(item_factors, bias_column, 'bias_column', 'number');
    END IF;
    EXECUTE format(copy_sql, 'cfrec_import_item_rows', id_column, features_column, bias_sql, item_factors);
    items := @extschema@.cfrec_checked_factors('item_factors', item_factors, 'pg_temp.cfrec_import_item_rows');
    IF users.width <> items.width THEN
        RAISE EXCEPTION 'user_factors have % factors, item_factors %', users.width, items.width
            USING ERRCODE = 'data_exception', HINT = 'Import the user and item factors of one model.';
    END IF;

    -- The source, read once too: each item's rows (the popularity fallback,
    -- as cfrec_train keeps it) and the ratings' range.
    PERFORM @extschema@.cfrec_require_column(source, user_column, 'user_column', 'integer');
    PERFORM @extschema@.cfrec_require_column(source, item_column, 'item_column', 'integer');
    IF rating_column IS NOT NULL THEN
        PERFORM @extschema@.cfrec_require_column(source, rating_column, 'rating_column', 'number');
    END IF;
    EXECUTE format('CREATE TEMP TABLE cfrec_import_counts ON COMMIT DROP AS
                    SELECT s.%2$I::pg_catalog.int8 AS item, pg_catalog.count(*) AS n,
                           pg_catalog.min(%3$s) AS low, pg_catalog.max(%3$s) AS high
                    FROM %4$s s WHERE s.%1$I IS NOT NULL AND s.%2$I IS NOT NULL GROUP BY 1',
                   user_column, item_column,
                   CASE WHEN explicit THEN format('s.%I::pg_catalog.float4', rating_column) ELSE 'NULL::pg_catalog.float4' END,
                   source);
    SELECT pg_catalog.sum(c.n), pg_catalog.min(c.low), pg_catalog.max(c.high) INTO n_rows, low, high
    FROM pg_temp.cfrec_import_counts c;
    IF n_rows IS NULL THEN
        RAISE EXCEPTION 'source % has no rows with both ids', source USING ERRCODE = 'data_exception',
            HINT = 'Name the interactions the model was trained on.';
    END IF;
    CREATE TEMP TABLE cfrec_import_items ON COMMIT DROP AS
    SELECT i.id, i.features, i.bias, LEAST(COALESCE(c.n, 0), 2147483647)::pg_catalog.int4 AS interactions
    FROM pg_temp.cfrec_import_item_rows i LEFT JOIN pg_temp.cfrec_import_counts c ON c.item = i.id;

    summary := @extschema@.cfrec_store_imported(model, feedback, 'pg_temp.cfrec_import_users'::pg_catalog.regclass,
        'pg_temp.cfrec_import_items'::pg_catalog.regclass, source, user_column, item_column, rating_column,
        regularization, alpha, global_mean, low, high, n_rows);
    DROP TABLE pg_temp.cfrec_import_users, pg_temp.cfrec_import_item_rows, pg_temp.cfrec_import_counts,
               pg_temp.cfrec_import_items;
    RAISE NOTICE 'cfrec: imported model "%"', model
        USING DETAIL = format('%s users and %s items with %s factors; %s interactions in %s', users.rows,
                              items.rows, users.width, n_rows, source);
    RETURN summary;
END
$$;
