-- cfrec: collaborative-filtering recommendations inside PostgreSQL.
\echo Use "CREATE EXTENSION cfrec" to load this file. \quit

-- Models live in ordinary tables so pg_dump, replication and psql see them.
-- Every training takes a new version; serving caches are keyed by it.
CREATE SEQUENCE @extschema@.cfrec_model_version_seq;

CREATE TABLE @extschema@.cfrec_model (
    name           text PRIMARY KEY CHECK (name <> ''),
    feedback       text NOT NULL CHECK (feedback IN ('explicit', 'implicit')),
    algorithm      text NOT NULL,
    source         text NOT NULL,  -- quoted, schema-qualified training relation
    user_column    text NOT NULL,
    item_column    text NOT NULL,
    rating_column  text,           -- NULL: every row counted 1
    factors        integer NOT NULL,
    iterations     integer NOT NULL,
    regularization float8 NOT NULL,
    alpha          float8,         -- implicit only
    seed           bigint NOT NULL,
    global_mean    float8 NOT NULL,
    rating_min     real,
    rating_max     real,
    users          bigint NOT NULL,
    items          bigint NOT NULL,
    interactions   bigint NOT NULL,
    loss           float8 NOT NULL,
    train_seconds  float8 NOT NULL,
    trained_at     timestamptz NOT NULL,
    trained_by     name NOT NULL,
    version        bigint NOT NULL,
    -- Version of the last training, or of the last refresh that removed rows:
    -- a serving cache older than this reloads the model whole; a newer one
    -- reads only the factor rows written after its own version.
    base_version   bigint NOT NULL,
    -- cfrec_update: rows whose watermark column is above `watermark` are new
    watermark_column  text,
    watermark         text,
    updated_at        timestamptz,
    updates           bigint NOT NULL DEFAULT 0,
    last_update_users bigint,
    last_update_items bigint
);

CREATE TABLE @extschema@.cfrec_user_factors (
    model   text NOT NULL,
    id      bigint NOT NULL,
    bias    real NOT NULL,
    factors real[] NOT NULL,
    version bigint NOT NULL,  -- model version that wrote this row
    PRIMARY KEY (model, id)
);
CREATE INDEX ON @extschema@.cfrec_user_factors (model, version);

CREATE TABLE @extschema@.cfrec_item_factors (
    model        text NOT NULL,
    id           bigint NOT NULL,
    bias         real NOT NULL,
    factors      real[] NOT NULL,
    interactions integer NOT NULL,  -- training rows of this item: the popularity fallback
    version      bigint NOT NULL,   -- model version that wrote this row
    PRIMARY KEY (model, id)
);
CREATE INDEX ON @extschema@.cfrec_item_factors (model, version);

SELECT pg_catalog.pg_extension_config_dump('@extschema@.cfrec_model', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.cfrec_user_factors', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.cfrec_item_factors', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.cfrec_model_version_seq', '');

-- Anyone may read models; training needs write grants from an administrator
-- (see README, "Privileges").
REVOKE ALL ON @extschema@.cfrec_model, @extschema@.cfrec_user_factors,
              @extschema@.cfrec_item_factors FROM PUBLIC;
GRANT SELECT ON @extschema@.cfrec_model, @extschema@.cfrec_user_factors,
                @extschema@.cfrec_item_factors TO PUBLIC;

CREATE VIEW @extschema@.cfrec_models AS
SELECT m.name AS model, m.feedback, m.algorithm, m.source,
       m.user_column, m.item_column, m.rating_column,
       m.factors, m.iterations, m.regularization, m.alpha, m.seed,
       m.users, m.items, m.interactions,
       (m.users + m.items) * m.factors * 4 AS factor_bytes,
       m.loss, m.train_seconds, m.trained_at, m.trained_by, m.version,
       m.watermark_column, m.watermark, m.updated_at, m.updates,
       m.last_update_users, m.last_update_items
FROM @extschema@.cfrec_model m;
GRANT SELECT ON @extschema@.cfrec_models TO PUBLIC;

CREATE TYPE @extschema@.cfrec_training_summary AS (
    model        text,
    feedback     text,
    users        bigint,
    items        bigint,
    interactions bigint,
    seconds      float8,
    loss         float8
);

CREATE TYPE @extschema@.cfrec_similar_item AS (
    item_id    bigint,
    similarity real
);

-- Defaults were tuned on held-out MovieLens data (bench/RESULTS.md) and match
-- the core's TrainOptions. regularization is weighted by each user's and
-- item's number of interactions; alpha only matters for implicit feedback.
-- Not STRICT, so that a NULL argument gets a clear error, not a NULL result.
CREATE FUNCTION @extschema@.cfrec_train(
    source         regclass,
    model          text    DEFAULT 'default',
    user_column    text    DEFAULT 'user_id',
    item_column    text    DEFAULT 'item_id',
    rating_column  text    DEFAULT 'rating',
    feedback       text    DEFAULT 'explicit',
    factors        integer DEFAULT 64,
    iterations     integer DEFAULT 15,
    regularization float8  DEFAULT 0.1,
    alpha          float8  DEFAULT 1.0,
    seed           bigint  DEFAULT 42,
    watermark_column text  DEFAULT NULL)
RETURNS @extschema@.cfrec_training_summary
AS 'MODULE_PATHNAME', 'cfrec_train'
LANGUAGE C VOLATILE;

-- include restricts the candidates, exclude drops items; both act before
-- ranking, so k rows come back whenever k items are eligible.
CREATE FUNCTION @extschema@.cfrec_recommend(
    user_id      bigint,
    k            integer  DEFAULT 10,
    model        text     DEFAULT 'default',
    exclude_seen boolean  DEFAULT true,
    include      bigint[] DEFAULT NULL,
    exclude      bigint[] DEFAULT NULL)
RETURNS TABLE (item_id bigint, score real)
AS 'MODULE_PATHNAME', 'cfrec_recommend'
LANGUAGE C STABLE ROWS 10;

-- For someone who is not a stored user (a visitor who liked a few items):
-- folds them in on the fly with the item factors fixed, then ranks; the given
-- items are excluded.
CREATE FUNCTION @extschema@.cfrec_recommend_for_items(
    item_ids bigint[],
    ratings  real[]  DEFAULT NULL,
    k        integer DEFAULT 10,
    model    text    DEFAULT 'default')
RETURNS TABLE (item_id bigint, score real)
AS 'MODULE_PATHNAME', 'cfrec_recommend_for_items'
LANGUAGE C STABLE ROWS 10;

CREATE FUNCTION @extschema@.cfrec_predict(
    user_id bigint,
    item_id bigint,
    model   text DEFAULT 'default')
RETURNS real
AS 'MODULE_PATHNAME', 'cfrec_predict'
LANGUAGE C STABLE;

CREATE FUNCTION @extschema@.cfrec_similar_items(
    item_id bigint,
    k       integer DEFAULT 10,
    model   text    DEFAULT 'default')
RETURNS SETOF @extschema@.cfrec_similar_item
AS 'MODULE_PATHNAME', 'cfrec_similar_items'
LANGUAGE C STABLE ROWS 10;

-- Top-k for every user of the model (or the given ones) in one pass of
-- blocked matrix products. With target, the rows go into that table (created
-- as (user_id, rank, item_id, score) when missing) and nothing is returned.
CREATE FUNCTION @extschema@.cfrec_recommend_all(
    model        text,
    k            integer  DEFAULT 10,
    target       text     DEFAULT NULL,
    users        bigint[] DEFAULT NULL,
    exclude_seen boolean  DEFAULT true)
RETURNS TABLE (user_id bigint, rank integer, item_id bigint, score real)
AS 'MODULE_PATHNAME', 'cfrec_recommend_all'
LANGUAGE C VOLATILE;

-- Recomputes the factors of the given users (every user of the source when
-- NULL) from their rows in the source now, item factors fixed: the exact
-- least-squares step ALS makes. New users join the model; users left with no
-- usable rows leave it. Returns the number of users refreshed.
CREATE FUNCTION @extschema@.cfrec_refresh_users(model text, user_ids bigint[] DEFAULT NULL)
RETURNS bigint
AS 'MODULE_PATHNAME', 'cfrec_refresh_users'
LANGUAGE C VOLATILE;

-- Brings a model trained with watermark_column up to date: the users and
-- items with rows above the stored watermark are refreshed (users first),
-- then the watermark moves to the highest value seen. Refreshes recompute
-- from all current rows, so nothing is ever counted twice.
CREATE FUNCTION @extschema@.cfrec_update(model text)
RETURNS TABLE (refreshed_users bigint, refreshed_items bigint, watermark text)
AS 'MODULE_PATHNAME', 'cfrec_update'
LANGUAGE C VOLATILE;

-- The same for items, user factors fixed.
CREATE FUNCTION @extschema@.cfrec_refresh_items(model text, item_ids bigint[] DEFAULT NULL)
RETURNS bigint
AS 'MODULE_PATHNAME', 'cfrec_refresh_items'
LANGUAGE C VOLATILE;

-- This backend's serving cache (bounded by cfrec.cache_size). catch_ups
-- counts how often an entry followed refreshes by reading only changed rows.
CREATE FUNCTION @extschema@.cfrec_cache_stats()
RETURNS TABLE (model text, version bigint, bytes bigint, hits bigint, loaded_at timestamptz,
               catch_ups bigint)
AS 'MODULE_PATHNAME', 'cfrec_cache_stats'
LANGUAGE C VOLATILE;
CREATE VIEW @extschema@.cfrec_cache AS SELECT * FROM @extschema@.cfrec_cache_stats();
GRANT SELECT ON @extschema@.cfrec_cache TO PUBLIC;

-- The most interacted items: in the training data, or, with since, among the
-- source's rows of the last `since` (needs a timestamp or date watermark
-- column). The answer for cold starts and for the "trending" shelf.
CREATE FUNCTION @extschema@.cfrec_popular(
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

-- A statement-level trigger that refreshes the users an INSERT touched:
--   CREATE TRIGGER ratings_refresh AFTER INSERT ON ratings
--   REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT
--   EXECUTE FUNCTION cfrec_refresh_trigger('model name');
-- Runs as the inserting role, which needs write grants on cfrec's tables.
CREATE FUNCTION @extschema@.cfrec_refresh_trigger()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    m @extschema@.cfrec_model;
    ids bigint[];
BEGIN
    IF TG_LEVEL <> 'STATEMENT' OR TG_NARGS <> 1 THEN
        RAISE EXCEPTION 'cfrec_refresh_trigger() must be a statement-level trigger with the model name as its argument'
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'CREATE TRIGGER ... AFTER INSERT ON ... REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION cfrec_refresh_trigger(''model'')';
    END IF;
    SELECT * INTO m FROM @extschema@.cfrec_model c WHERE c.name = TG_ARGV[0];
    IF NOT FOUND THEN
        RAISE EXCEPTION 'cfrec model "%" does not exist', TG_ARGV[0] USING ERRCODE = 'undefined_object';
    END IF;
    EXECUTE format('SELECT array_agg(DISTINCT %I::bigint) FROM new_rows WHERE %I IS NOT NULL',
                   m.user_column, m.user_column) INTO ids;
    IF ids IS NOT NULL THEN
        PERFORM @extschema@.cfrec_refresh_users(m.name, ids);
    END IF;
    RETURN NULL;
END
$$;

CREATE FUNCTION @extschema@.cfrec_drop_model(model text, if_exists boolean DEFAULT false)
RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF model IS NULL OR if_exists IS NULL THEN
        RAISE EXCEPTION 'model and if_exists must not be NULL'
            USING ERRCODE = 'null_value_not_allowed';
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
