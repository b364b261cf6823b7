-- The linear filter (algorithm => 'linear_filter'): GF-CF's exact linear
-- filter on the item graph, one sharpening step and the ideal low-pass term.
-- It keeps the training interactions instead of user vectors and scores
-- anyone from their rows as the source has them at each call.
\set VERBOSITY terse
SET client_min_messages = warning;
CREATE TABLE lf_visits AS SELECT user_id, item_id FROM ratings WHERE rating >= 4 ORDER BY user_id, item_id;
ALTER TABLE lf_visits ADD COLUMN seq bigserial;
CREATE INDEX ON lf_visits (user_id, item_id);

-- Defaults: implicit feedback, no rating column, the rank (256) lowered to
-- what 60 users and 40 items allow, 8 passes, alpha (the ideal term) 1.5
-- times the strength s^2 of the weakest direction kept.
SELECT model, feedback, users, items, interactions
FROM cfrec_train('lf_visits', 'lf', algorithm => 'linear_filter');
SELECT algorithm, feedback, factors, iterations, regularization, alpha > 0 AS alpha_set, rating_column
FROM cfrec_model WHERE name = 'lf';
-- s^2 is a column's squared norm in the item factors (the singular vectors
-- times their values); columns of no strength are not directions.
WITH strength AS (
    SELECT k, sum(f.factors[k] ^ 2) AS s2
    FROM cfrec_item_factors f, generate_subscripts(f.factors, 1) k
    WHERE f.model = 'lf' GROUP BY k)
SELECT abs(m.alpha - 1.5 * min(s2)) < 1e-4 * m.alpha AS alpha_from_weakest
FROM cfrec_model m, strength
WHERE m.name = 'lf' AND s2 > 1e-8 * (SELECT max(s2) FROM strength) GROUP BY m.alpha;
SELECT parameters->'alpha' AS asked_alpha FROM cfrec_training_log WHERE model = 'lf' ORDER BY id LIMIT 1;
-- No user vectors; the interactions instead, one row per user.
SELECT (SELECT count(*) FROM cfrec_user_factors WHERE model = 'lf') AS user_rows,
       (SELECT count(*) FROM cfrec_item_factors WHERE model = 'lf') AS item_rows,
       (SELECT count(*) FROM cfrec_linear_filter_rows WHERE model = 'lf') AS interaction_rows,
       (SELECT sum(cardinality(items)) FROM cfrec_linear_filter_rows WHERE model = 'lf') AS interactions;

-- An item's neighbours are its row of R~^T R~, computed here in SQL:
-- sum over shared users v of 1 / (d_v sqrt(d_i d_j)), d the degrees.
CREATE FUNCTION operator_row(i bigint) RETURNS TABLE (item_id bigint, value float8) LANGUAGE sql AS $$
    WITH du AS (SELECT user_id, count(*) AS d FROM lf_visits GROUP BY user_id),
         di AS (SELECT item_id, count(*) AS d FROM lf_visits GROUP BY item_id)
    SELECT b.item_id, sum(1.0 / (du.d * sqrt(da.d * db.d)))
    FROM lf_visits a JOIN lf_visits b ON b.user_id = a.user_id AND b.item_id <> a.item_id
    JOIN du ON du.user_id = a.user_id JOIN di da ON da.item_id = a.item_id
    JOIN di db ON db.item_id = b.item_id
    WHERE a.item_id = i GROUP BY b.item_id $$;
SELECT i, count(*) AS neighbours, bool_and(abs(s.similarity - o.value) < 1e-5) AS exact
FROM (VALUES (1), (25)) t(i), cfrec_similar_items(i, 5, 'lf') s
JOIN LATERAL operator_row(i) o ON o.item_id = s.item_id GROUP BY i ORDER BY i;

-- Recommendations stay within the user's taste group and skip what they saw.
SELECT u, bool_and((r.item_id <= 20) = (u <= 30)) AS own_group,
       bool_and(NOT EXISTS (SELECT FROM lf_visits v WHERE v.user_id = u AND v.item_id = r.item_id)) AS unseen
FROM (VALUES (1), (17), (31), (60)) t(u), cfrec_recommend(u, 5, 'lf') r GROUP BY u ORDER BY u;
-- A user is scored from their items: the same as scoring those items.
SELECT u, (SELECT array_agg(item_id ORDER BY score DESC, item_id) FROM cfrec_recommend(u, 8, 'lf'))
        = (SELECT array_agg(item_id ORDER BY score DESC, item_id)
           FROM cfrec_recommend_for_items((SELECT array_agg(item_id) FROM lf_visits WHERE user_id = u),
                                          k => 8, model => 'lf')) AS same
FROM (VALUES (2), (45)) t(u) ORDER BY u;
-- cfrec_recommend_all gives every user what cfrec_recommend gives them.
SELECT count(*) AS recommended, count(*) FILTER (WHERE r.score = c.score AND r.item_id = c.item_id) AS same
FROM cfrec_recommend_all('lf', 3) r
JOIN LATERAL (SELECT item_id, score, row_number() OVER (ORDER BY score DESC, item_id) AS rank
              FROM cfrec_recommend(r.user_id, 3, 'lf')) c ON c.rank = r.rank;
SELECT count(*) > 0 AS seen_ranked FROM cfrec_recommend_all('lf', 40, exclude_seen => false) r
WHERE EXISTS (SELECT FROM lf_visits v WHERE v.user_id = r.user_id AND v.item_id = r.item_id);
-- cfrec_explain splits a score over the user's items exactly (it is linear
-- in them); a user's rows as they are now, like the score.
SELECT count(*) FILTER (WHERE kind = 'item') AS items, count(*) FILTER (WHERE kind = 'other items') AS rest,
       abs(sum(contribution) - (SELECT score FROM cfrec_recommend(3, 40, 'lf') WHERE item_id = 7)) < 1e-5 AS sums_to_score,
       max(abs(contribution)) FILTER (WHERE kind = 'remainder') < 1e-5 AS no_remainder
FROM cfrec_explain(3, 7, 'lf', k => 5);
SELECT abs(cfrec_predict(3, 7, 'lf') - (SELECT score FROM cfrec_recommend(3, 40, 'lf') WHERE item_id = 7)) < 1e-6 AS predict_matches;
-- exclude_seen => false ranks what the user has too; include and exclude apply.
SELECT count(*) FILTER (WHERE EXISTS (SELECT FROM lf_visits v WHERE v.user_id = 1 AND v.item_id = r.item_id)) > 0 AS seen_ranked
FROM cfrec_recommend(1, 40, 'lf', exclude_seen => false) r;
SELECT array_agg(item_id ORDER BY item_id) AS included
FROM cfrec_recommend(1, 10, 'lf', include => ARRAY[21, 22, 23, 24], exclude => ARRAY[22]);

-- A new interaction counts on the next call, without training again: the
-- item leaves the user's recommendations, and a new user is scored from
-- their rows like anyone else.
SELECT item_id AS top_before FROM cfrec_recommend(1, 1, 'lf');
INSERT INTO lf_visits (user_id, item_id) SELECT 1, item_id FROM cfrec_recommend(1, 1, 'lf');
SELECT (SELECT item_id FROM cfrec_recommend(1, 1, 'lf')) <> (SELECT max(seq) FROM lf_visits) AS moved_on,
       NOT EXISTS (SELECT FROM cfrec_recommend(1, 40, 'lf') r
                   WHERE r.item_id = (SELECT item_id FROM lf_visits ORDER BY seq DESC LIMIT 1)) AS now_seen;
INSERT INTO lf_visits (user_id, item_id) VALUES (61, 1), (61, 2), (61, 3);
SELECT (SELECT array_agg(item_id ORDER BY score DESC, item_id) FROM cfrec_recommend(61, 5, 'lf'))
     = (SELECT array_agg(item_id ORDER BY score DESC, item_id)
        FROM cfrec_recommend_for_items(ARRAY[1, 2, 3]::bigint[], k => 5, model => 'lf')) AS new_user_scored;
-- Someone with no rows gets the most popular items, as from every model.
SELECT count(*) AS popular FROM cfrec_recommend(999, 3, 'lf');

-- Evaluation against held-out rows, as for any model.
CREATE TABLE lf_test AS SELECT user_id, item_id FROM lf_visits WHERE seq % 5 = 0;
CREATE TABLE lf_train AS SELECT user_id, item_id FROM lf_visits WHERE seq % 5 <> 0;
CREATE INDEX ON lf_train (user_id);
SELECT 1 FROM cfrec_train('lf_train', 'lf_split', algorithm => 'linear_filter', factors => 16);
SELECT metric, value > 0.3 AS above_0_3 FROM cfrec_evaluate('lf_split', 'lf_test', 5)
WHERE metric IN ('recall', 'ndcg', 'hit_rate') ORDER BY metric;

-- Users need no refresh; what it does not do says so.
SET client_min_messages = notice;
SELECT cfrec_refresh_users('lf');
SET client_min_messages = warning;
SELECT cfrec_refresh_items('lf', ARRAY[1]);
-- Its items have vectors to cluster; its users have none.
SELECT count(*) FROM cfrec_kmeans('lf', 2);
SELECT count(*) AS clusters_of_items FROM cfrec_kmeans('lf', 2, of => 'items');
SELECT cfrec_train('lf_visits', 'lf_bad', algorithm => 'linear_filter', feedback => 'explicit');
SELECT cfrec_train('lf_visits', 'lf_bad', algorithm => 'linear_filter', regularization => 0.1);
SELECT cfrec_train('lf_visits', 'lf_bad', algorithm => 'linear_filter', factors => 41);
CREATE TABLE lf_features AS SELECT DISTINCT item_id AS id, 'kind ' || item_id % 3 AS feature FROM lf_visits;
SELECT cfrec_train('lf_visits', 'lf_bad', algorithm => 'linear_filter', item_features => 'lf_features');
SELECT count(*) AS bad_models FROM cfrec_model WHERE name = 'lf_bad';

-- Rows that disagree with the catalog are refused when a backend loads the
-- model, never served (only cfrec's catalog owner can write them). Loads by
-- this backend: a shared copy, checked when it was loaded, would be read.
UPDATE cfrec_linear_filter_rows SET items = items || 99999::bigint WHERE model = 'lf_split' AND user_id = 1;
\c
\set VERBOSITY terse
SET client_min_messages = warning;
SET cfrec.shared_cache_size = 0;
SELECT count(*) FROM cfrec_recommend(1, 3, 'lf_split');
UPDATE cfrec_linear_filter_rows SET items = array_remove(items, 99999::bigint) WHERE model = 'lf_split' AND user_id = 1;
UPDATE cfrec_linear_filter_rows SET items = items[2:] || items[1] WHERE model = 'lf_split' AND user_id = 2;
SELECT count(*) FROM cfrec_recommend(1, 3, 'lf_split');
DELETE FROM cfrec_linear_filter_rows WHERE model = 'lf_split' AND user_id = 2;
SELECT count(*) FROM cfrec_recommend(1, 3, 'lf_split');
-- Training again writes the rows afresh; a retrained model of another kind drops them.
SELECT 1 FROM cfrec_train('lf_train', 'lf_split', algorithm => 'linear_filter', factors => 16);
SELECT count(*) AS served FROM cfrec_recommend(1, 3, 'lf_split');
SELECT 1 FROM cfrec_train('lf_train', 'lf_split', feedback => 'implicit', rating_column => NULL, factors => 4);
SELECT count(*) AS rows_left FROM cfrec_linear_filter_rows WHERE model = 'lf_split';
SELECT cfrec_drop_model('lf'), cfrec_drop_model('lf_split');
SELECT count(*) AS rows_left FROM cfrec_linear_filter_rows;
