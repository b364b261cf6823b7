-- cfrec 1.2.0 -> 1.3.0. Run by ALTER EXTENSION cfrec UPDATE; keeps every
-- model, training-log row, impression and reaction as it is.
\echo Use "ALTER EXTENSION cfrec UPDATE TO '1.3.0'" to load this file. \quit

-- Feedback is accepted only from the role that served the session, or one
-- with its privileges (issue 13, M2): session ids are readable by everyone.
-- Sessions served before this update keep accepting anyone's reactions.
ALTER TABLE @extschema@.cfrec_impressions ADD COLUMN served_by name;

CREATE OR REPLACE FUNCTION @extschema@.cfrec_serve(user_id bigint, k integer DEFAULT 10,
                                        model text DEFAULT 'default')
RETURNS TABLE (session_id uuid, rank integer, item_id bigint, score real)
LANGUAGE sql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
    WITH session AS (SELECT pg_catalog.gen_random_uuid() AS id),
    shown AS (
        INSERT INTO @extschema@.cfrec_impressions (session_id, item_id, model, user_id, rank, score,
                                                   served_by)
        SELECT session.id, r.item_id, $3, $1, r.ordinality::integer, r.score, CURRENT_USER
        FROM session, @extschema@.cfrec_recommend($1, $2, $3) WITH ORDINALITY r
        RETURNING cfrec_impressions.session_id, cfrec_impressions.rank,
                  cfrec_impressions.item_id, cfrec_impressions.score)
    SELECT * FROM shown ORDER BY 2
$$;

CREATE OR REPLACE FUNCTION @extschema@.cfrec_feedback(session_id uuid, item_id bigint,
                                           liked boolean DEFAULT true)
RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    server name;
BEGIN
    IF session_id IS NULL OR item_id IS NULL OR liked IS NULL THEN
        RAISE EXCEPTION 'session_id, item_id and liked must not be NULL'
            USING ERRCODE = 'null_value_not_allowed';
    END IF;
    SELECT i.served_by INTO server FROM @extschema@.cfrec_impressions i
    WHERE i.session_id = cfrec_feedback.session_id AND i.item_id = cfrec_feedback.item_id;
    IF FOUND AND server IS NOT NULL AND NOT pg_has_role(server, 'USAGE') THEN
        RAISE EXCEPTION 'the session was served by role %, not by one whose privileges you have',
            server USING ERRCODE = 'insufficient_privilege',
            HINT = 'Post feedback from the role that called cfrec_serve, or one it was granted to.';
    END IF;
    IF NOT FOUND THEN
        PERFORM FROM @extschema@.cfrec_impressions i WHERE i.session_id = cfrec_feedback.session_id;
        IF NOT FOUND THEN
            RAISE EXCEPTION 'unknown session %', session_id USING ERRCODE = 'undefined_object',
                HINT = 'Pass the session_id that cfrec_serve returned with the recommendations.';
        END IF;
        RAISE EXCEPTION 'item % was not shown in session %', item_id, session_id
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Feedback is recorded only for the items cfrec_serve returned in that session.';
    END IF;
    INSERT INTO @extschema@.cfrec_reactions AS r (session_id, item_id, liked)
    VALUES (cfrec_feedback.session_id, cfrec_feedback.item_id, cfrec_feedback.liked)
    ON CONFLICT ON CONSTRAINT cfrec_reactions_pkey
    DO UPDATE SET liked = excluded.liked, reacted_at = excluded.reacted_at;
END
$$;
