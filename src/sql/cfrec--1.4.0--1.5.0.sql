-- cfrec 1.4.0 -> 1.5.0. Run by ALTER EXTENSION cfrec UPDATE; keeps every
-- model, training-log row, impression and reaction as it is.
\echo Use "ALTER EXTENSION cfrec UPDATE TO '1.5.0'" to load this file. \quit

-- On a hot standby, cfrec_serve and cfrec_feedback say to call them on the
-- primary (issue 14) instead of failing on their INSERT. cfrec_serve becomes
-- PL/pgSQL to check first; its arguments and results are unchanged.
CREATE OR REPLACE FUNCTION @extschema@.cfrec_serve(user_id bigint, k integer DEFAULT 10,
                                        model text DEFAULT 'default')
RETURNS TABLE (session_id uuid, rank integer, item_id bigint, score real)
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF pg_catalog.pg_is_in_recovery() THEN
        RAISE EXCEPTION 'cfrec_serve records the session it serves, and this server is a standby'
            USING ERRCODE = 'read_only_sql_transaction',
                  HINT = 'Call cfrec_serve (and cfrec_feedback) on the primary; a standby can serve cfrec_recommend, which records nothing.';
    END IF;
    RETURN QUERY
    WITH session AS (SELECT pg_catalog.gen_random_uuid() AS id),
    shown AS (
        INSERT INTO @extschema@.cfrec_impressions AS i (session_id, item_id, model, user_id, rank,
                                                        score, served_by)
        SELECT session.id, r.item_id, cfrec_serve.model, cfrec_serve.user_id,
               r.ordinality::integer, r.score, CURRENT_USER
        FROM session,
             @extschema@.cfrec_recommend(cfrec_serve.user_id, cfrec_serve.k, cfrec_serve.model)
                 WITH ORDINALITY r
        RETURNING i.session_id, i.rank, i.item_id, i.score)
    SELECT s.session_id, s.rank, s.item_id, s.score FROM shown s ORDER BY s.rank;
END
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
    IF pg_catalog.pg_is_in_recovery() THEN
        RAISE EXCEPTION 'cfrec_feedback records a reaction, and this server is a standby'
            USING ERRCODE = 'read_only_sql_transaction',
                  HINT = 'Call cfrec_feedback on the primary, where cfrec_serve recorded the session.';
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
