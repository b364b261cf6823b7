-- cfrec: collaborative-filtering recommendations inside PostgreSQL.
-- The script of the current version (the Makefile installs it as
-- cfrec--<default_version>.sql). Every change to what it creates ships, in the
-- same commit, a step src/sql/cfrec--OLD--NEW.sql and a version bump in
-- cfrec.control; test/shell/upgrade.sh proves that the chain of steps from
-- every older version gives exactly what this script gives.
\echo Use "CREATE EXTENSION cfrec" to load this file. \quit

-- ==========================================================================
-- Catalog tables
-- Models, the training log and the feedback loop's records. They hold users'
-- data: registered with pg_extension_config_dump so pg_dump keeps their rows,
-- and an upgrade step alters them in place, never drops them.
-- ==========================================================================

-- Who may train: the members of this predefined role (and superusers), in the
-- spirit of pg_monitor. An administrator grants it: GRANT cfrec_trainer TO
-- role. Roles belong to the whole server, so it is made once and outlives
-- the extension.
DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'cfrec_trainer') THEN
        CREATE ROLE cfrec_trainer NOLOGIN;
    END IF;
END
$$;

-- Models live in ordinary tables so pg_dump, replication and psql see them.
-- They are cfrec's catalog: only cfrec's functions write them, as the
-- tables' owner, after checking what the caller may do; no other role is
-- granted INSERT, UPDATE or DELETE. Every training takes a new version from
-- this sequence; serving caches are keyed by it.
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
    last_update_items bigint,
    -- The role that first trained the model, by OID: a role dropped and
    -- created again under the same name owns nothing. Only it, roles that
    -- have its privileges (GRANT owner TO role) and superusers may retrain,
    -- refresh, update or drop the model, and cfrec reads the model's source
    -- as this role whoever serves, updates or retrains it.
    owner             regrole NOT NULL,
    -- Roles that may read the model besides the owner's (cfrec_grant), by
    -- OID; 0 (shown as -) for PUBLIC, as in pg_policy.polroles.
    readers           regrole[] NOT NULL DEFAULT '{}'
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

-- Anyone may list models; reading one needs its owner's cfrec_grant.
-- Row-level security (below) holds each role to the models it may read.
REVOKE ALL ON @extschema@.cfrec_model, @extschema@.cfrec_user_factors,
              @extschema@.cfrec_item_factors FROM PUBLIC;

GRANT SELECT ON @extschema@.cfrec_model, @extschema@.cfrec_user_factors,
                @extschema@.cfrec_item_factors TO PUBLIC;

-- Models trained with features (cfrec_train's item_features and
-- user_features): where a side's features come from, and the map from
-- features to factors. A feature's row holds what it adds to a vector at
-- weight 1 in a row of unit length; the row whose feature is NULL is the
-- intercept, the vector of a row with no known feature.
CREATE TABLE @extschema@.cfrec_feature_source (
    model          text NOT NULL,
    side           text NOT NULL CHECK (side IN ('users', 'items')),
    relation       text NOT NULL,  -- quoted, schema-qualified
    id_column      text NOT NULL,
    feature_column text NOT NULL,
    weight_column  text,           -- NULL: every feature weighs 1
    features       integer NOT NULL,  -- features the map has (its rows, the intercept left out)
    PRIMARY KEY (model, side)
);

CREATE TABLE @extschema@.cfrec_feature_factors (
    model   text NOT NULL,
    side    text NOT NULL CHECK (side IN ('users', 'items')),
    feature text,
    bias    real NOT NULL,
    factors real[] NOT NULL,
    -- Items: the map weighed by their interactions, bias first, which sets a
    -- mapped item's length (its direction is bias and factors'); NULL for users.
    length  real[],
    UNIQUE NULLS NOT DISTINCT (model, side, feature)
);

SELECT pg_catalog.pg_extension_config_dump('@extschema@.cfrec_feature_source', '');

SELECT pg_catalog.pg_extension_config_dump('@extschema@.cfrec_feature_factors', '');

REVOKE ALL ON @extschema@.cfrec_feature_source, @extschema@.cfrec_feature_factors FROM PUBLIC;

GRANT SELECT ON @extschema@.cfrec_feature_source, @extschema@.cfrec_feature_factors TO PUBLIC;

-- A linear filter's training interactions (cfrec_train with algorithm =>
-- 'linear_filter'): one row per training user, their items ascending. The
-- filter scores anyone through them, so they are part of the model, like its
-- factor rows; it keeps no user vectors.
CREATE TABLE @extschema@.cfrec_linear_filter_rows (
    model   text NOT NULL,
    user_id bigint NOT NULL,
    items   bigint[] NOT NULL,
    PRIMARY KEY (model, user_id)
);

SELECT pg_catalog.pg_extension_config_dump('@extschema@.cfrec_linear_filter_rows', '');

REVOKE ALL ON @extschema@.cfrec_linear_filter_rows FROM PUBLIC;

GRANT SELECT ON @extschema@.cfrec_linear_filter_rows TO PUBLIC;

-- One row per cfrec_train and cfrec_update call, whatever its outcome. A
-- success is written in the caller's transaction (it rolls back with the
-- model); an error or a cancel is written by a background worker, because
-- the caller's transaction rolls back.
CREATE TABLE @extschema@.cfrec_training_log (
    id                bigserial PRIMARY KEY,
    model             text NOT NULL,
    operation         text NOT NULL CHECK (operation IN ('train', 'update')),
    started_at        timestamptz NOT NULL,
    seconds           float8 NOT NULL,
    rows_read         bigint,                       -- NULL for updates
    iterations        jsonb NOT NULL DEFAULT '[]',  -- [{iteration, loss, rmse, seconds}]
    final_loss        float8,
    peak_memory_bytes bigint,  -- the backend's peak resident memory during the call (Linux)
    outcome           text NOT NULL CHECK (outcome IN ('ok', 'error', 'cancelled')),
    error             text,
    sqlstate          text,
    run_by            name NOT NULL,
    parameters        jsonb
);

CREATE INDEX ON @extschema@.cfrec_training_log (model, started_at);

SELECT pg_catalog.pg_extension_config_dump('@extschema@.cfrec_training_log', '');

SELECT pg_catalog.pg_extension_config_dump('@extschema@.cfrec_training_log_id_seq', '');

REVOKE ALL ON @extschema@.cfrec_training_log FROM PUBLIC;

GRANT SELECT ON @extschema@.cfrec_training_log TO PUBLIC;

-- Versions and log ids are taken only by cfrec's functions, as the owner.
REVOKE ALL ON SEQUENCE @extschema@.cfrec_model_version_seq, @extschema@.cfrec_training_log_id_seq
    FROM PUBLIC;

-- The feedback loop's records: each list cfrec_serve showed, and the
-- reactions cfrec_feedback recorded to its items.
CREATE TABLE @extschema@.cfrec_impressions (
    session_id uuid NOT NULL,
    item_id    bigint NOT NULL,
    model      text NOT NULL,
    user_id    bigint NOT NULL,
    rank       integer NOT NULL,
    score      real,
    shown_at   timestamptz NOT NULL DEFAULT pg_catalog.now(),
    PRIMARY KEY (session_id, item_id),
    -- The role that served the session, by OID: only it (or a role with its
    -- privileges) may post reactions to it. NULL for sessions served before
    -- cfrec 1.3.0, which anyone may react to, as then.
    served_by  regrole
);

CREATE INDEX ON @extschema@.cfrec_impressions (model, shown_at);

CREATE TABLE @extschema@.cfrec_reactions (
    session_id uuid NOT NULL,
    item_id    bigint NOT NULL,
    liked      boolean NOT NULL,
    reacted_at timestamptz NOT NULL DEFAULT pg_catalog.now(),
    PRIMARY KEY (session_id, item_id),
    FOREIGN KEY (session_id, item_id) REFERENCES @extschema@.cfrec_impressions ON DELETE CASCADE
);

SELECT pg_catalog.pg_extension_config_dump('@extschema@.cfrec_impressions', '');

SELECT pg_catalog.pg_extension_config_dump('@extschema@.cfrec_reactions', '');

REVOKE ALL ON @extschema@.cfrec_impressions, @extschema@.cfrec_reactions FROM PUBLIC;

GRANT SELECT ON @extschema@.cfrec_impressions, @extschema@.cfrec_reactions TO PUBLIC;

-- ==========================================================================
-- Model privileges
-- Every model has an owner (the role that first trained it) and readers
-- (cfrec_grant), both by role OID. Row-level security on cfrec's tables
-- holds direct SELECTs to them: a role sees the factors, sessions,
-- reactions and log rows only of models it may read. There are no policies
-- for writes, so even a role somebody granted INSERT on these tables could
-- write no row: cfrec's functions write, as the tables' owner.
-- ==========================================================================

-- Has the caller the privileges of `owner` (membership, or superuser)? A
-- dropped role (OID no longer in pg_authid) matches nobody but superusers.
CREATE FUNCTION @extschema@.cfrec_may_change(owner regrole)
RETURNS boolean
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT EXISTS (SELECT FROM pg_catalog.pg_roles r WHERE r.rolname = CURRENT_USER AND r.rolsuper)
        OR EXISTS (SELECT FROM pg_catalog.pg_roles r
                   WHERE r.oid = owner::pg_catalog.oid AND pg_catalog.pg_has_role(r.oid, 'USAGE'))
$$;

-- May the caller read a model with this owner and these readers? 0 (PUBLIC)
-- among the readers lets everyone.
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

-- Lets `grantee` (a role, or PUBLIC) read a model: serve it, and see its
-- factor rows, sessions, reactions and training log. Only roles with the
-- owner's privileges may grant.
CREATE FUNCTION @extschema@.cfrec_grant(model text, grantee text)
RETURNS void
AS 'MODULE_PATHNAME', 'cfrec_grant'
LANGUAGE C VOLATILE;

-- Takes back what cfrec_grant gave. Roles with the owner's privileges keep
-- reading; so does a role still granted through another role or PUBLIC.
CREATE FUNCTION @extschema@.cfrec_revoke(model text, grantee text)
RETURNS void
AS 'MODULE_PATHNAME', 'cfrec_revoke'
LANGUAGE C VOLATILE;

-- The models the caller may read. Policies call it once per statement (an
-- uncorrelated subquery), not once per factor row.
CREATE FUNCTION @extschema@.cfrec_readable_models()
RETURNS SETOF text
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT m.name FROM @extschema@.cfrec_model m WHERE @extschema@.cfrec_may_read(m.owner, m.readers)
$$;

ALTER TABLE @extschema@.cfrec_model ENABLE ROW LEVEL SECURITY;

CREATE POLICY cfrec_model_listed ON @extschema@.cfrec_model FOR SELECT USING (true);

ALTER TABLE @extschema@.cfrec_user_factors ENABLE ROW LEVEL SECURITY;

CREATE POLICY cfrec_user_factors_read ON @extschema@.cfrec_user_factors FOR SELECT
    USING (model = ANY (ARRAY(SELECT @extschema@.cfrec_readable_models())));

ALTER TABLE @extschema@.cfrec_item_factors ENABLE ROW LEVEL SECURITY;

CREATE POLICY cfrec_item_factors_read ON @extschema@.cfrec_item_factors FOR SELECT
    USING (model = ANY (ARRAY(SELECT @extschema@.cfrec_readable_models())));

ALTER TABLE @extschema@.cfrec_feature_source ENABLE ROW LEVEL SECURITY;

CREATE POLICY cfrec_feature_source_read ON @extschema@.cfrec_feature_source FOR SELECT
    USING (model = ANY (ARRAY(SELECT @extschema@.cfrec_readable_models())));

ALTER TABLE @extschema@.cfrec_feature_factors ENABLE ROW LEVEL SECURITY;

CREATE POLICY cfrec_feature_factors_read ON @extschema@.cfrec_feature_factors FOR SELECT
    USING (model = ANY (ARRAY(SELECT @extschema@.cfrec_readable_models())));

ALTER TABLE @extschema@.cfrec_linear_filter_rows ENABLE ROW LEVEL SECURITY;

CREATE POLICY cfrec_linear_filter_rows_read ON @extschema@.cfrec_linear_filter_rows FOR SELECT
    USING (model = ANY (ARRAY(SELECT @extschema@.cfrec_readable_models())));

-- The log: rows of readable models, and one's own runs.
ALTER TABLE @extschema@.cfrec_training_log ENABLE ROW LEVEL SECURITY;

CREATE POLICY cfrec_training_log_read ON @extschema@.cfrec_training_log FOR SELECT
    USING (run_by = CURRENT_USER
           OR model = ANY (ARRAY(SELECT @extschema@.cfrec_readable_models())));

-- Sessions: those of readable models, and those one served (still there
-- after the model is dropped). Reactions follow the sessions one can see.
ALTER TABLE @extschema@.cfrec_impressions ENABLE ROW LEVEL SECURITY;

CREATE POLICY cfrec_impressions_read ON @extschema@.cfrec_impressions FOR SELECT
    USING (served_by::pg_catalog.oid = (SELECT r.oid FROM pg_catalog.pg_roles r WHERE r.rolname = CURRENT_USER)
           OR model = ANY (ARRAY(SELECT @extschema@.cfrec_readable_models())));

ALTER TABLE @extschema@.cfrec_reactions ENABLE ROW LEVEL SECURITY;

CREATE POLICY cfrec_reactions_seen ON @extschema@.cfrec_reactions FOR SELECT
    USING (EXISTS (SELECT FROM @extschema@.cfrec_impressions i
                   WHERE i.session_id = cfrec_reactions.session_id
                     AND i.item_id = cfrec_reactions.item_id));

-- ==========================================================================
-- Views and types
-- ==========================================================================

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

-- What an operator looks at: each model's size, age, and its last run.
-- Read with the caller's rights: only the runs of models it may read show.
CREATE VIEW @extschema@.cfrec_model_status WITH (security_invoker = true) AS
SELECT m.name AS model, m.feedback, m.algorithm, m.users, m.items, m.interactions,
       (m.users + m.items) * m.factors * 4 AS factor_bytes,
       m.trained_at,
       pg_catalog.now() - m.trained_at AS age,
       GREATEST(m.trained_at, m.updated_at) AS changed_at,
       m.train_seconds, m.loss,
       last.started_at AS last_run_at, last.operation AS last_operation,
       last.outcome AS last_outcome, last.seconds AS last_run_seconds, last.error AS last_error,
       recent.failures AS failures_last_day
FROM @extschema@.cfrec_model m
LEFT JOIN LATERAL (SELECT l.* FROM @extschema@.cfrec_training_log l
                   WHERE l.model = m.name ORDER BY l.started_at DESC, l.id DESC LIMIT 1) last ON true
LEFT JOIN LATERAL (SELECT count(*) AS failures FROM @extschema@.cfrec_training_log l
                   WHERE l.model = m.name AND l.outcome <> 'ok'
                     AND l.started_at > pg_catalog.now() - interval '1 day') recent ON true;

GRANT SELECT ON @extschema@.cfrec_model_status TO PUBLIC;

-- The serving caches: this backend's own (bounded by cfrec.cache_size), and
-- the server's shared one (cfrec.shared_cache_size), shared = true, its
-- entries of this database. catch_ups counts how often an entry followed
-- refreshes by reading only changed rows.
CREATE FUNCTION @extschema@.cfrec_cache_stats()
RETURNS TABLE (model text, version bigint, bytes bigint, hits bigint, loaded_at timestamptz,
               catch_ups bigint, shared boolean)
AS 'MODULE_PATHNAME', 'cfrec_cache_stats'
LANGUAGE C VOLATILE;

CREATE VIEW @extschema@.cfrec_cache AS SELECT * FROM @extschema@.cfrec_cache_stats();

GRANT SELECT ON @extschema@.cfrec_cache TO PUBLIC;

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

-- One part of a score, as cfrec_explain returns it: kind 'item' (item_id is
-- one of the user's items), 'other items', 'global mean', 'item bias' or
-- 'remainder'; for an item or user known only by its features, kind
-- 'feature' (feature names it), 'other features', 'user bias' and
-- 'feature intercept'.
CREATE TYPE @extschema@.cfrec_contribution AS (
    kind         text,
    item_id      bigint,
    contribution real,
    feature      text
);

-- ==========================================================================
-- Training and model management
-- ==========================================================================

-- Arguments left NULL take the algorithm's defaults, measured on held-out
-- data (bench/RESULTS.md) and kept in one place, the core's default_options():
-- feedback 'explicit' ('implicit' for the graph filter); factors 64 for
-- explicit ALS and SVD, 256 for implicit ALS, 512 for the graph filter;
-- iterations 8 explicit ALS, 15 implicit ALS, 40 SVD, 3 graph filter;
-- regularization 0.1 explicit, 0.5 implicit ALS, weighted by each user's and
-- item's number of interactions (none for the graph filter); alpha 5, the
-- confidence scale of implicit ALS, or 1, the weight of the graph filter's
-- ideal low-pass part. Not STRICT, so that a NULL source or model gets a
-- clear error, not a NULL result. item_features and user_features name a
-- table or view of (id, feature[, weight]) rows (the feature_* arguments
-- name its columns): the model maps features to factors, and ids with
-- features but no interactions get vectors from them.
CREATE FUNCTION @extschema@.cfrec_train(
    source         regclass,
    model          text    DEFAULT 'default',
    user_column    text    DEFAULT 'user_id',
    item_column    text    DEFAULT 'item_id',
    rating_column  text    DEFAULT 'rating',
    feedback       text    DEFAULT NULL,
    factors        integer DEFAULT NULL,
    iterations     integer DEFAULT NULL,
    regularization float8  DEFAULT NULL,
    alpha          float8  DEFAULT NULL,
    seed           bigint  DEFAULT 42,
    watermark_column text  DEFAULT NULL,
    algorithm      text    DEFAULT 'als',
    learning_rate  float8  DEFAULT 0.01,
    item_features  regclass DEFAULT NULL,
    user_features  regclass DEFAULT NULL,
    feature_id_column     text DEFAULT 'id',
    feature_column        text DEFAULT 'feature',
    feature_weight_column text DEFAULT NULL)
RETURNS @extschema@.cfrec_training_summary
AS 'MODULE_PATHNAME', 'cfrec_train'
LANGUAGE C VOLATILE;

-- Drops a model: its catalog row and factor rows. Needs the owner's
-- privileges; the model's sessions and log rows stay.
CREATE FUNCTION @extschema@.cfrec_drop_model(model text, if_exists boolean DEFAULT false)
RETURNS void
AS 'MODULE_PATHNAME', 'cfrec_drop_model'
LANGUAGE C VOLATILE;

-- ==========================================================================
-- Serving
-- ==========================================================================

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

-- Why the model scores item_id for user_id: the user's k items that add
-- most to the score, from their current rows in the model's source; all rows
-- together sum to the score cfrec_recommend gives the item.
CREATE FUNCTION @extschema@.cfrec_explain(
    user_id bigint,
    item_id bigint,
    model   text    DEFAULT 'default',
    k       integer DEFAULT 10)
RETURNS SETOF @extschema@.cfrec_contribution
AS 'MODULE_PATHNAME', 'cfrec_explain'
LANGUAGE C STABLE ROWS 12;

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

-- The most interacted items: in the training data, or, with since, among the
-- source's rows of the last `since` (needs a timestamp or date watermark
-- column). The answer for cold starts and for the "trending" shelf.
CREATE FUNCTION @extschema@.cfrec_popular(
    k     integer  DEFAULT 10,
    model text     DEFAULT 'default',
    since interval DEFAULT NULL)
RETURNS TABLE (item_id bigint, interactions bigint)
AS 'MODULE_PATHNAME', 'cfrec_popular'
LANGUAGE C STABLE;

-- ==========================================================================
-- Refresh and update
-- ==========================================================================

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

-- A statement-level trigger that refreshes the users an INSERT touched:
--   CREATE TRIGGER ratings_refresh AFTER INSERT ON ratings
--   REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT
--   EXECUTE FUNCTION cfrec_refresh_trigger('model name');
-- Runs as the inserting role, which needs the privileges of the model's
-- owner (it refreshes the model).
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

-- ==========================================================================
-- Evaluation and tuning
-- ==========================================================================

-- A model measured against held-out rows (from cfrec_split, say): RMSE and
-- MAE for rating models; precision, recall, NDCG, MAP and hit rate at k with
-- the user's training items excluded, catalogue coverage and the number of
-- users ranked, for every model. Columns default to the model's own;
-- relevant_rating counts only test rows rated at least that as relevant.
CREATE FUNCTION @extschema@.cfrec_evaluate(
    model           text,
    test_source     regclass,
    k               integer DEFAULT 10,
    relevant_rating float8  DEFAULT NULL,
    user_column     text    DEFAULT NULL,
    item_column     text    DEFAULT NULL,
    rating_column   text    DEFAULT NULL)
RETURNS TABLE (metric text, value float8)
AS 'MODULE_PATHNAME', 'cfrec_evaluate'
LANGUAGE C VOLATILE;

-- Splits a table of interactions into a training and a test table.
--   random:   each row goes to test with probability test_fraction;
--   per_user: each user with at least min_rows rows puts round(fraction * n)
--             of them (at least one) into test, so every test user also
--             has training rows;
--   time:     the same counts, but each user's latest rows by time_column
--             go to test, so nothing from a user's future is trained on.
-- The draw hashes (seed, user, item), so the split does not depend on row
-- order, and repeated (user, item) rows always land on the same side: the
-- test can never be answered by a copy of itself in training.
-- cfrec_split_into does the work (callable, but meant for cfrec_split below,
-- which passes it the caller's current schema).
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

-- cfrec_split itself: an SQL function with no pinned search_path only to pass
-- its worker above the caller's current schema, where an unqualified
-- train_name or test_name is created. Everything else runs in the worker,
-- whose search_path is pinned.
CREATE FUNCTION @extschema@.cfrec_split(
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

-- Hyperparameter search: every combination of the grid's values (a JSON
-- object of arrays of cfrec_train arguments) trained and evaluated on each
-- of `folds` folds — each (user, item) goes to one fold by a seeded hash, and
-- each fold is the test set once — then the final model trained on all of
-- source with the best combination. metric: rmse or mae (lower is better;
-- the default for explicit feedback) or precision, recall, ndcg (the default
-- for implicit), map, hit_rate (higher is better), at k. One row per
-- combination; `best` marks the one the final model was trained with.
CREATE FUNCTION @extschema@.cfrec_tune(
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

-- ==========================================================================
-- Feedback loop
-- What was shown (cfrec_serve), how users reacted (cfrec_feedback), and how
-- well the model does online (cfrec_online_metrics).
-- ==========================================================================

-- cfrec_recommend, plus a new session id under which the list is logged.
-- The application passes session_id back with each reaction. It writes, so
-- on a standby it says where to call it instead.
CREATE FUNCTION @extschema@.cfrec_serve(user_id bigint, k integer DEFAULT 10,
                                        model text DEFAULT 'default')
RETURNS TABLE (session_id uuid, rank integer, item_id bigint, score real)
AS 'MODULE_PATHNAME', 'cfrec_serve'
LANGUAGE C VOLATILE;

-- Records a reaction to an item shown in a session; a later reaction to the
-- same item replaces the earlier one.
CREATE FUNCTION @extschema@.cfrec_feedback(session_id uuid, item_id bigint,
                                           liked boolean DEFAULT true)
RETURNS void
AS 'MODULE_PATHNAME', 'cfrec_feedback'
LANGUAGE C VOLATILE;

-- Online quality of a model from its sessions shown since `since`, counting
-- the top k of each list:
--   precision      mean over sessions of (liked items in the top k) / k
--   recall         mean over sessions with a like of
--                  (liked items in the top k) / (liked items in the session)
--   click_through  reactions (liked or not) on top-k items / top-k items shown
-- plus the counts behind them.
CREATE FUNCTION @extschema@.cfrec_online_metrics(
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
    IF EXISTS (SELECT FROM @extschema@.cfrec_model c WHERE c.name = cfrec_online_metrics.model
               AND NOT @extschema@.cfrec_may_read(c.owner, c.readers)) THEN
        RAISE EXCEPTION 'permission denied for cfrec model "%"', model
            USING ERRCODE = 'insufficient_privilege',
                  HINT = 'Its owner can share it: SELECT cfrec_grant(model, role).';
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

-- ==========================================================================
-- Clusters
-- ==========================================================================

-- k-means (k-means++ seeding, Lloyd iterations) of a model's user or item
-- vectors. Clusters are numbered 1..k in the order of their lowest-numbered
-- member; distance is to the cluster's centroid. Same arguments, same answer.
CREATE FUNCTION @extschema@.cfrec_kmeans(
    model      text,
    k          integer,
    of         text    DEFAULT 'users',
    iterations integer DEFAULT 50,
    seed       bigint  DEFAULT 42)
RETURNS TABLE (id bigint, cluster integer, distance real)
AS 'MODULE_PATHNAME', 'cfrec_kmeans'
LANGUAGE C VOLATILE;

-- The clusters cfrec_kmeans finds, each with its size and its `top` most
-- characteristic items: for user clusters the items the centroid scores
-- highest (score), for item clusters the members nearest the centroid
-- (score = distance). Join item_id to your catalogue for titles and genres.
CREATE FUNCTION @extschema@.cfrec_describe_clusters(
    model      text,
    k          integer,
    of         text    DEFAULT 'users',
    iterations integer DEFAULT 50,
    seed       bigint  DEFAULT 42,
    top        integer DEFAULT 10)
RETURNS TABLE (cluster integer, size bigint, rank integer, item_id bigint, score real)
AS 'MODULE_PATHNAME', 'cfrec_describe_clusters'
LANGUAGE C VOLATILE;

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

-- Checks every row of a private copy (id, features float8[], bias float8)
-- of the factor table `rel`, what cfrec_train guarantees of its own: ids
-- unique and not NULL; features one-dimensional, of one length (1 to 1024),
-- finite and within real's range; biases likewise. Returns the number of
-- rows and of factors; errors name `argument` and `rel`.
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

-- Stores checked factors as a model: the last step of cfrec_import_model,
-- which passes private copies of the factor tables (id, features, bias, and
-- for items interactions). It checks every row again and writes through the
-- same path as cfrec_train; it needs what cfrec_import_model needs.
CREATE FUNCTION @extschema@.cfrec_store_imported(
    model text, feedback text, user_factors regclass, item_factors regclass, source regclass,
    user_column text, item_column text, rating_column text, regularization float8,
    alpha float8, global_mean float8, rating_min real, rating_max real, interactions bigint)
RETURNS @extschema@.cfrec_training_summary
AS 'MODULE_PATHNAME', 'cfrec_store_imported'
LANGUAGE C VOLATILE;

-- Registers factors trained elsewhere as a model that every serving
-- function uses. user_factors and item_factors are tables in Spark MLlib
-- ALS's shape (userFactors / itemFactors: id integer, features float[] or
-- real[]), with an optional bias column in each. source holds the
-- interactions the model was trained on, as for cfrec_train: exclude_seen,
-- the popularity fallback, refreshes and cfrec_evaluate read it, and
-- explicit predictions are clipped to its ratings' range. Each table is read
-- once, into a private copy that is checked and then stored, so what is
-- checked is what is stored; an existing model of that name is replaced, as
-- by a retraining. Needs cfrec_trainer, as training does.
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
