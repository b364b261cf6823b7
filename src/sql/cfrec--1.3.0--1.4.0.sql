-- cfrec 1.3.0 -> 1.4.0. Run by ALTER EXTENSION cfrec UPDATE; keeps every
-- model, training-log row, impression and reaction as it is.
\echo Use "ALTER EXTENSION cfrec UPDATE TO '1.4.0'" to load this file. \quit

-- Per-model read grants (issue 13, M2). Models trained before this update
-- stay readable by every role, as they were; their owners narrow that with
-- cfrec_revoke(model, 'public').
ALTER TABLE @extschema@.cfrec_model ADD COLUMN readers name[] NOT NULL DEFAULT '{}';

UPDATE @extschema@.cfrec_model SET readers = '{public}';

-- ==========================================================================
-- Model privileges
-- Every model has an owner (the role that first trained it) and readers
-- (cfrec_grant). Row-level security on cfrec's tables enforces both for
-- direct SQL too: a role sees the factors, sessions, reactions and log rows
-- only of models it may read, and changes rows only of models whose owner's
-- privileges it has. Superusers and the extension's owner bypass it, as
-- PostgreSQL's row-level security always lets them.
-- ==========================================================================

-- Has the caller the privileges of `owner` (membership, or superuser)? A
-- dropped role matches nothing; pg_has_role(name) would raise an error.
CREATE FUNCTION @extschema@.cfrec_may_change(owner name)
RETURNS boolean
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT EXISTS (SELECT FROM pg_catalog.pg_roles r WHERE r.rolname = CURRENT_USER AND r.rolsuper)
        OR EXISTS (SELECT FROM pg_catalog.pg_roles r
                   WHERE r.rolname = owner AND pg_catalog.pg_has_role(r.oid, 'USAGE'))
$$;

-- May the caller read a model with this owner and these readers? 'public'
-- among the readers lets everyone.
CREATE FUNCTION @extschema@.cfrec_may_read(owner name, readers name[])
RETURNS boolean
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT 'public' = ANY (readers)
        OR @extschema@.cfrec_may_change(owner)
        OR EXISTS (SELECT FROM pg_catalog.pg_roles r
                   WHERE r.rolname = ANY (readers) AND pg_catalog.pg_has_role(r.oid, 'USAGE'))
$$;

-- The checks cfrec_grant and cfrec_revoke share: the model exists, the caller
-- has its owner's privileges, the grantee is a role or PUBLIC. Returns the
-- name stored in cfrec_model.readers ('public' for PUBLIC), and locks the
-- model's row so that grants and trainings take turns.
CREATE FUNCTION @extschema@.cfrec_reader_name(model text, grantee text)
RETURNS name
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    model_owner name;
BEGIN
    IF model IS NULL OR grantee IS NULL THEN
        RAISE EXCEPTION 'model and grantee must not be NULL' USING ERRCODE = 'null_value_not_allowed';
    END IF;
    SELECT m.owner INTO model_owner FROM @extschema@.cfrec_model m
    WHERE m.name = cfrec_reader_name.model;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'cfrec model "%" does not exist', model USING ERRCODE = 'undefined_object',
            HINT = 'SELECT model FROM cfrec_models lists the trained models.';
    END IF;
    IF NOT @extschema@.cfrec_may_change(model_owner) THEN
        RAISE EXCEPTION 'must have the privileges of role "%", the owner of cfrec model "%", to share it',
            model_owner, model USING ERRCODE = 'insufficient_privilege',
            HINT = 'Ask the owner to call cfrec_grant; SELECT owner FROM cfrec_models says who it is.';
    END IF;
    PERFORM FROM @extschema@.cfrec_model m WHERE m.name = cfrec_reader_name.model FOR UPDATE;
    IF grantee IN ('public', 'PUBLIC') THEN
        RETURN 'public';
    END IF;
    IF pg_catalog.to_regrole(pg_catalog.quote_ident(grantee)) IS NULL THEN
        RAISE EXCEPTION 'role "%" does not exist', grantee USING ERRCODE = 'undefined_object',
            HINT = 'Name an existing role, or PUBLIC for every role.';
    END IF;
    RETURN grantee;
END
$$;

-- Lets `grantee` (a role, or PUBLIC) read a model: serve it, and see its
-- factor rows, sessions, reactions and training log. Only roles with the
-- owner's privileges may grant.
CREATE FUNCTION @extschema@.cfrec_grant(model text, grantee text)
RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    reader name := @extschema@.cfrec_reader_name(model, grantee);
BEGIN
    UPDATE @extschema@.cfrec_model m SET readers = m.readers || reader
    WHERE m.name = cfrec_grant.model AND NOT reader = ANY (m.readers);
END
$$;

-- Takes back what cfrec_grant gave. Roles with the owner's privileges keep
-- reading; so does a role still granted through another role or PUBLIC.
CREATE FUNCTION @extschema@.cfrec_revoke(model text, grantee text)
RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    reader name := @extschema@.cfrec_reader_name(model, grantee);
BEGIN
    UPDATE @extschema@.cfrec_model m SET readers = pg_catalog.array_remove(m.readers, reader)
    WHERE m.name = cfrec_revoke.model AND reader = ANY (m.readers);
END
$$;

-- The models the caller may read, or change. Policies call these once per
-- statement (an uncorrelated subquery), not once per factor row.
CREATE FUNCTION @extschema@.cfrec_readable_models()
RETURNS SETOF text
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT m.name FROM @extschema@.cfrec_model m WHERE @extschema@.cfrec_may_read(m.owner, m.readers)
$$;

CREATE FUNCTION @extschema@.cfrec_changeable_models()
RETURNS SETOF text
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT m.name FROM @extschema@.cfrec_model m WHERE @extschema@.cfrec_may_change(m.owner)
$$;

ALTER TABLE @extschema@.cfrec_model ENABLE ROW LEVEL SECURITY;

CREATE POLICY cfrec_model_listed ON @extschema@.cfrec_model FOR SELECT USING (true);

CREATE POLICY cfrec_model_created ON @extschema@.cfrec_model FOR INSERT
    WITH CHECK (owner = CURRENT_USER);

CREATE POLICY cfrec_model_changed ON @extschema@.cfrec_model FOR UPDATE
    USING (@extschema@.cfrec_may_change(owner)) WITH CHECK (@extschema@.cfrec_may_change(owner));

CREATE POLICY cfrec_model_dropped ON @extschema@.cfrec_model FOR DELETE
    USING (@extschema@.cfrec_may_change(owner));

ALTER TABLE @extschema@.cfrec_user_factors ENABLE ROW LEVEL SECURITY;

CREATE POLICY cfrec_user_factors_read ON @extschema@.cfrec_user_factors FOR SELECT
    USING (model = ANY (ARRAY(SELECT @extschema@.cfrec_readable_models())));

CREATE POLICY cfrec_user_factors_changed ON @extschema@.cfrec_user_factors
    USING (model = ANY (ARRAY(SELECT @extschema@.cfrec_changeable_models())));

ALTER TABLE @extschema@.cfrec_item_factors ENABLE ROW LEVEL SECURITY;

CREATE POLICY cfrec_item_factors_read ON @extschema@.cfrec_item_factors FOR SELECT
    USING (model = ANY (ARRAY(SELECT @extschema@.cfrec_readable_models())));

CREATE POLICY cfrec_item_factors_changed ON @extschema@.cfrec_item_factors
    USING (model = ANY (ARRAY(SELECT @extschema@.cfrec_changeable_models())));

-- The log: rows of readable models, and one's own. A row may be written
-- only as oneself, and not for a model whose owner's privileges one lacks,
-- so nobody can make another's model look failing.
ALTER TABLE @extschema@.cfrec_training_log ENABLE ROW LEVEL SECURITY;

CREATE POLICY cfrec_training_log_read ON @extschema@.cfrec_training_log FOR SELECT
    USING (run_by = CURRENT_USER
           OR model = ANY (ARRAY(SELECT @extschema@.cfrec_readable_models())));

CREATE POLICY cfrec_training_log_written ON @extschema@.cfrec_training_log FOR INSERT
    WITH CHECK (run_by = CURRENT_USER
                AND (model = ANY (ARRAY(SELECT @extschema@.cfrec_changeable_models()))
                     OR NOT EXISTS (SELECT FROM @extschema@.cfrec_model m WHERE m.name = model)));

-- Sessions: those of readable models, and those one served (still there
-- after the model is dropped). Reactions follow the sessions one can see.
ALTER TABLE @extschema@.cfrec_impressions ENABLE ROW LEVEL SECURITY;

CREATE POLICY cfrec_impressions_read ON @extschema@.cfrec_impressions FOR SELECT
    USING (served_by = CURRENT_USER
           OR model = ANY (ARRAY(SELECT @extschema@.cfrec_readable_models())));

CREATE POLICY cfrec_impressions_written ON @extschema@.cfrec_impressions FOR INSERT
    WITH CHECK (served_by = CURRENT_USER
                AND model = ANY (ARRAY(SELECT @extschema@.cfrec_readable_models())));

CREATE POLICY cfrec_impressions_deleted ON @extschema@.cfrec_impressions FOR DELETE
    USING (model = ANY (ARRAY(SELECT @extschema@.cfrec_changeable_models())));

ALTER TABLE @extschema@.cfrec_reactions ENABLE ROW LEVEL SECURITY;

CREATE POLICY cfrec_reactions_seen ON @extschema@.cfrec_reactions
    USING (EXISTS (SELECT FROM @extschema@.cfrec_impressions i
                   WHERE i.session_id = cfrec_reactions.session_id
                     AND i.item_id = cfrec_reactions.item_id));

CREATE OR REPLACE VIEW @extschema@.cfrec_models AS
SELECT m.name AS model, m.feedback, m.algorithm, m.source,
       m.user_column, m.item_column, m.rating_column,
       m.factors, m.iterations, m.regularization, m.alpha, m.seed,
       m.users, m.items, m.interactions,
       (m.users + m.items) * m.factors * 4 AS factor_bytes,
       m.loss, m.train_seconds, m.trained_at, m.trained_by, m.version,
       m.watermark_column, m.watermark, m.updated_at, m.updates,
       m.last_update_users, m.last_update_items, m.owner, m.readers
FROM @extschema@.cfrec_model m;


ALTER VIEW @extschema@.cfrec_model_status SET (security_invoker = true);

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
