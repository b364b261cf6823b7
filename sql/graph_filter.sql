-- The graph filter (algorithm => 'graph_filter', issue 15): a low-pass
-- filter on the item graph, stored as factors, so every serving function
-- serves it; a user's vector is the sum of their items' vectors, which is
-- also how anyone it has not seen is folded in.
\set VERBOSITY terse
SET client_min_messages = warning;
-- Implicit data from the two taste groups of `ratings`: what each user liked.
CREATE TABLE visits AS SELECT user_id, item_id FROM ratings WHERE rating >= 4 ORDER BY user_id, item_id;
ALTER TABLE visits ADD COLUMN seq bigserial;
CREATE INDEX ON visits (user_id);

-- Defaults: implicit feedback, no rating column, and the rank (512) lowered
-- to what 60 users and 40 items allow.
SELECT model, feedback, users, items, interactions
FROM cfrec_train('visits', 'gf', algorithm => 'graph_filter', watermark_column => 'seq');
SELECT algorithm, feedback, factors, iterations, regularization, alpha, rating_column
FROM cfrec_model WHERE name = 'gf';

-- Each user's vector is the sum of their items' vectors, each without the
-- slight lift of popular items (its number of users to the power 0.1).
CREATE FUNCTION users_are_item_sums(m text) RETURNS boolean LANGUAGE sql AS $$
    WITH sums AS (
        SELECT v.user_id, f.n, sum(f.x / power(i.interactions, 0.1)) AS x
        FROM (SELECT DISTINCT user_id, item_id FROM visits) v
        JOIN cfrec_item_factors i ON i.model = m AND i.id = v.item_id
        CROSS JOIN LATERAL unnest(i.factors) WITH ORDINALITY f(x, n)
        GROUP BY v.user_id, f.n)
    SELECT max(abs(s.x - u.x)) < 1e-4 AND count(*) = (SELECT sum(cardinality(factors)) FROM cfrec_user_factors WHERE model = m)
    FROM sums s JOIN cfrec_user_factors uf ON uf.model = m AND uf.id = s.user_id
    CROSS JOIN LATERAL unnest(uf.factors) WITH ORDINALITY u(x, n)
    WHERE u.n = s.n $$;
SELECT users_are_item_sums('gf');

-- Recommendations stay within the user's taste group and skip what they saw.
SELECT u, bool_and((r.item_id <= 20) = (u <= 30)) AS own_group,
       bool_and(NOT EXISTS (SELECT FROM visits v WHERE v.user_id = u AND v.item_id = r.item_id)) AS unseen
FROM (VALUES (1), (17), (31), (60)) t(u), cfrec_recommend(u, 5, 'gf') r GROUP BY u ORDER BY u;
SELECT bool_and((s.item_id <= 20) = (i <= 20)) AS similar_in_group
FROM (VALUES (1), (25)) t(i), cfrec_similar_items(i, 5, 'gf') s;
-- Folding in a known user's items gives that user's own recommendations:
-- the same scores rank by rank (items whose scores tie within float
-- rounding may trade places, as the sums are made in another order).
SELECT u, count(*) AS ranks, bool_and(abs(r.score - f.score) <= 1e-5 * greatest(1, abs(r.score))) AS same
FROM (VALUES (2), (45)) t(u),
LATERAL (SELECT x.score, row_number() OVER (ORDER BY x.score DESC, x.item_id) AS n
         FROM cfrec_recommend(u, 8, 'gf') x) r
JOIN LATERAL (SELECT y.score, row_number() OVER (ORDER BY y.score DESC, y.item_id) AS n
              FROM cfrec_recommend_for_items((SELECT array_agg(item_id) FROM visits WHERE user_id = u),
                                             k => 8, model => 'gf') y) f ON f.n = r.n
GROUP BY u ORDER BY u;
SELECT abs(cfrec_predict(3, 7, 'gf') - (SELECT score FROM cfrec_recommend(3, 40, 'gf') WHERE item_id = 7)) < 1e-5 AS predict_matches;
SELECT count(*) AS recommended FROM cfrec_recommend_all('gf', 3);

-- Evaluation against held-out rows, as for any model.
CREATE TABLE visits_test AS SELECT user_id, item_id FROM visits WHERE seq % 5 = 0;
CREATE TABLE visits_train AS SELECT user_id, item_id FROM visits WHERE seq % 5 <> 0;
SELECT 1 FROM cfrec_train('visits_train', 'gf_split', algorithm => 'graph_filter', factors => 16);
SELECT metric, value > 0.3 AS above_0_3 FROM cfrec_evaluate('gf_split', 'visits_test', 5)
WHERE metric IN ('recall', 'ndcg', 'hit_rate') ORDER BY metric;

-- Refreshing users sums their current items; new users join.
INSERT INTO visits (user_id, item_id) VALUES (1, 40), (61, 1), (61, 2), (61, 3);
SELECT cfrec_refresh_users('gf', ARRAY[1, 61]);
SELECT users_are_item_sums('gf');
SELECT (SELECT array_agg(item_id ORDER BY score DESC, item_id) FROM cfrec_recommend(61, 5, 'gf'))
     = (SELECT array_agg(item_id ORDER BY score DESC, item_id)
        FROM cfrec_recommend_for_items(ARRAY[1, 2, 3]::bigint[], k => 5, model => 'gf')) AS new_user_as_fold_in;
-- Items cannot be refreshed; cfrec_update refreshes users and says so.
SELECT cfrec_refresh_items('gf', ARRAY[1]);
INSERT INTO visits (user_id, item_id) VALUES (2, 39), (62, 5);
SET client_min_messages = notice;
SELECT refreshed_users, refreshed_items FROM cfrec_update('gf');
SET client_min_messages = warning;
SELECT users_are_item_sums('gf');

-- Arguments that do not apply to it.
SELECT cfrec_train('visits', 'gf_bad', algorithm => 'graph_filter', feedback => 'explicit');
SELECT cfrec_train('visits', 'gf_bad', algorithm => 'graph_filter', regularization => 0.1);
SELECT cfrec_train('visits', 'gf_bad', algorithm => 'graph_filter', factors => 41);
SELECT cfrec_train('visits', 'gf_bad', algorithm => 'graph_filter', iterations => 0);
SELECT cfrec_train('visits', 'gf_bad', algorithm => 'graph');
SELECT count(*) AS bad_models FROM cfrec_model WHERE name = 'gf_bad';
SELECT cfrec_drop_model('gf'), cfrec_drop_model('gf_split');
DROP FUNCTION users_are_item_sums(text);
DROP TABLE visits, visits_test, visits_train;
