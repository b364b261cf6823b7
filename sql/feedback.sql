-- The feedback loop: cfrec_serve logs what it shows under a session id,
-- cfrec_feedback records reactions, cfrec_online_metrics scores the model.
\set VERBOSITY terse
SET client_min_messages = warning;
CREATE TABLE fb_ratings AS
SELECT u AS user_id, i AS item_id, 5 AS rating
FROM generate_series(1, 40) u, generate_series(1, 30) i
WHERE (u <= 20) = (i <= 15) AND (u + i) % 2 = 0;
CREATE INDEX ON fb_ratings (user_id);
SELECT users FROM cfrec_train('fb_ratings', model => 'fb', factors => 4, feedback => 'implicit');

-- Serving returns what cfrec_recommend returns, ranked, under one new session.
SELECT count(*) AS rows, count(DISTINCT session_id) AS sessions,
       array_agg(rank ORDER BY rank) AS ranks,
       array_agg(item_id ORDER BY rank) = (SELECT array_agg(item_id) FROM cfrec_recommend(1, 5, model => 'fb')) AS same_items
FROM cfrec_serve(1, 5, 'fb');
SELECT count(*) AS logged, count(DISTINCT session_id) AS sessions, min(user_id), max(user_id)
FROM cfrec_impressions WHERE model = 'fb';
DELETE FROM cfrec_impressions WHERE model = 'fb';
-- k decides what is shown and logged; a LIMIT outside cannot shorten the log
-- (PostgreSQL runs a function in FROM to its end first), as the README says.
SELECT count(*) AS returned FROM (SELECT * FROM cfrec_serve(1, 8, 'fb') LIMIT 3) s;
SELECT count(*) AS logged FROM cfrec_impressions WHERE model = 'fb';
DELETE FROM cfrec_impressions WHERE model = 'fb';

-- A scripted day: three sessions of five items, reactions by rank.
SELECT DISTINCT session_id AS s1 FROM cfrec_serve(1, 5, 'fb') \gset
SELECT DISTINCT session_id AS s2 FROM cfrec_serve(2, 5, 'fb') \gset
SELECT DISTINCT session_id AS s3 FROM cfrec_serve(25, 5, 'fb') \gset
SELECT DISTINCT session_id AS old FROM cfrec_serve(3, 5, 'fb') \gset
CREATE FUNCTION shown(s uuid, r int) RETURNS bigint LANGUAGE sql
AS $$ SELECT item_id FROM cfrec_impressions WHERE session_id = s AND rank = r $$;
-- s1: likes ranks 1 and 4, dislikes rank 2 (after first liking it).
SELECT cfrec_feedback(:'s1', shown(:'s1', 1));
SELECT cfrec_feedback(:'s1', shown(:'s1', 4), true);
SELECT cfrec_feedback(:'s1', shown(:'s1', 2), true);
SELECT cfrec_feedback(:'s1', shown(:'s1', 2), false);
-- s2: likes ranks 2 and 3. s3: no reaction. old: two days ago, excluded.
SELECT cfrec_feedback(:'s2', shown(:'s2', 2));
SELECT cfrec_feedback(:'s2', shown(:'s2', 3));
SELECT cfrec_feedback(:'old', shown(:'old', 1));
UPDATE cfrec_impressions SET shown_at = now() - interval '2 days' WHERE session_id = :'old';
SELECT count(*) AS reactions, count(*) FILTER (WHERE liked) AS likes FROM cfrec_reactions;

-- By hand, top 3 of each list: s1 has 1 like of 3 shown (and 2 likes in
-- all), s2 2 of 3 (2 in all), s3 none; reactions on top-3 items: 2, 2, 0.
--   precision = (1/3 + 2/3 + 0) / 3 = 0.3333
--   recall = (1/2 + 2/2) / 2 = 0.75 (s3 has no like)
--   click_through = 4 / 9 = 0.4444
SELECT metric, round(value::numeric, 4) AS value FROM cfrec_online_metrics('fb');
-- k = 5 counts every item: precision (2/5 + 2/5 + 0) / 3, recall 1.
SELECT metric, round(value::numeric, 4) AS value FROM cfrec_online_metrics('fb', k => 5)
WHERE metric IN ('precision', 'recall', 'click_through');
-- Including the old session (one like, at rank 1): 4 sessions, 4 likes,
-- recall (1/2 + 1 + 1) / 3 = 0.8333.
SELECT metric, round(value::numeric, 4) AS value
FROM cfrec_online_metrics('fb', since => now() - interval '3 days')
WHERE metric IN ('recall', 'sessions', 'likes');
-- Nothing shown in the window: counts are zero, ratios NULL.
SELECT metric, value FROM cfrec_online_metrics('fb', since => now() + interval '1 day');
-- A name that is no model and served nothing is a mistake, not zeros.
SELECT metric, value FROM cfrec_online_metrics('no_such_model');

-- Feedback is accepted only from the role that served the session, or one
-- that has its privileges: session ids are readable by everyone (issue 13, M2).
CREATE ROLE regress_cfrec_app1;
CREATE ROLE regress_cfrec_app2;
SELECT cfrec_grant('fb', 'regress_cfrec_app1'), cfrec_grant('fb', 'regress_cfrec_app2');
SET ROLE regress_cfrec_app1;
SELECT DISTINCT session_id AS s_app1 FROM cfrec_serve(1, 3, 'fb') \gset
SELECT cfrec_feedback(:'s_app1', shown(:'s_app1', 1));
RESET ROLE;
SET ROLE regress_cfrec_app2;
SELECT cfrec_feedback(:'s_app1', shown(:'s_app1', 2));
-- Nor can it write reactions or sessions itself: only cfrec's functions do.
INSERT INTO cfrec_reactions (session_id, item_id, liked) VALUES (:'s_app1', 1, true);
UPDATE cfrec_reactions SET liked = false WHERE session_id = :'s_app1';
INSERT INTO cfrec_impressions (session_id, item_id, model, user_id, rank, served_by)
VALUES (gen_random_uuid(), 1, 'fb', 1, 1, 'regress_cfrec_app2');
RESET ROLE;
-- Without a grant on the model, a role sees none of its sessions or reactions.
SELECT cfrec_revoke('fb', 'regress_cfrec_app2');
SET ROLE regress_cfrec_app2;
SELECT count(*) AS sessions_seen FROM cfrec_impressions WHERE session_id = :'s_app1';
SELECT count(*) AS reactions_seen FROM cfrec_reactions WHERE session_id = :'s_app1';
SELECT set_config('regress.session', :'s_app1', false) IS NOT NULL AS kept;
DO $$ BEGIN
    PERFORM cfrec_feedback(current_setting('regress.session')::uuid, 1);
EXCEPTION WHEN undefined_object THEN
    RAISE WARNING 'feedback refused: unknown session (%)', SQLSTATE;
END $$;
RESET ROLE;
SELECT cfrec_grant('fb', 'regress_cfrec_app2');
GRANT regress_cfrec_app1 TO regress_cfrec_app2;
SET ROLE regress_cfrec_app2;
SELECT cfrec_feedback(:'s_app1', shown(:'s_app1', 2));
RESET ROLE;
SELECT i.served_by, count(r.*) AS reactions FROM cfrec_impressions i
LEFT JOIN cfrec_reactions r USING (session_id, item_id)
WHERE i.session_id = :'s_app1' GROUP BY 1;
DELETE FROM cfrec_impressions WHERE session_id = :'s_app1';
DROP OWNED BY regress_cfrec_app1;
DROP OWNED BY regress_cfrec_app2;
DROP ROLE regress_cfrec_app2;
DROP ROLE regress_cfrec_app1;

-- Bad input.
SELECT cfrec_feedback('00000000-0000-0000-0000-000000000000', 1);
\set VERBOSITY sqlstate
SELECT cfrec_feedback(:'s1', 999999);
\set VERBOSITY terse
SELECT cfrec_feedback(NULL, 1);
SELECT * FROM cfrec_online_metrics('fb', k => 0);
SELECT * FROM cfrec_serve(1, 0, 'fb');
SELECT * FROM cfrec_serve(1, 5, 'no_such_model');
SELECT count(*) AS unchanged FROM cfrec_reactions;

-- Serving for an unknown user logs the fallback list like any other.
SELECT count(*) FROM cfrec_serve(424242, 3, 'fb');
SELECT cfrec_drop_model('fb');
