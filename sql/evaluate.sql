-- Splitting, evaluating, SVD and tuning, all in SQL.
\set VERBOSITY terse
SET client_min_messages = warning;
-- Splits are seeded and do not depend on row order.
SELECT * FROM cfrec_split('ratings', 'ev_train', 'ev_test', method => 'per_user');
CREATE TABLE shuffled AS SELECT * FROM ratings ORDER BY md5(user_id::text || item_id::text);
SELECT * FROM cfrec_split('shuffled', 'sh_train', 'sh_test', method => 'per_user');
SELECT count(*) AS differ FROM (SELECT * FROM ev_test EXCEPT SELECT * FROM sh_test) d;
-- per_user: every test user keeps training rows; nothing is in both.
SELECT count(*) AS test_users_without_training FROM (SELECT DISTINCT user_id FROM ev_test) t
WHERE NOT EXISTS (SELECT 1 FROM ev_train r WHERE r.user_id = t.user_id);
SELECT count(*) AS overlap FROM ev_test t JOIN ev_train r USING (user_id, item_id);
SELECT (SELECT count(*) FROM ev_train) + (SELECT count(*) FROM ev_test) = (SELECT count(*) FROM ratings) AS complete;
-- random and time splits.
SELECT test_rows BETWEEN 1 AND (SELECT count(*) FROM ratings) AS some FROM cfrec_split('ratings', 'rn_train', 'rn_test', 0.3);
CREATE TABLE timed_ratings AS SELECT *, timestamptz '2024-01-01' + item_id * interval '1 day' AS at FROM ratings;
SELECT * FROM cfrec_split('timed_ratings', 'tm_train', 'tm_test', method => 'time', time_column => 'at');
SELECT count(*) AS test_rows_older_than_training FROM tm_test t
WHERE t.at < (SELECT max(r.at) FROM tm_train r WHERE r.user_id = t.user_id);
-- Evaluate: the two groups are easy to tell apart, so a model trained on the
-- split ranks held-out items well above chance and predicts ratings closely.
SELECT users FROM cfrec_train('ev_train', model => 'ev', factors => 4, iterations => 10);
SELECT metric, value BETWEEN 0 AND 1 AS a_fraction FROM cfrec_evaluate('ev', 'ev_test', k => 5)
WHERE metric NOT IN ('users', 'users_unknown', 'rmse', 'mae');
SELECT value < 1.0 AS rmse_below_1 FROM cfrec_evaluate('ev', 'ev_test') WHERE metric = 'rmse';
SELECT value AS users FROM cfrec_evaluate('ev', 'ev_test') WHERE metric = 'users';
-- Only ratings >= 4 count as relevant: fewer users have any.
SELECT value AS users FROM cfrec_evaluate('ev', 'ev_test', relevant_rating => 4) WHERE metric = 'users';
SELECT users FROM cfrec_train('ev_train', model => 'ev_implicit', feedback => 'implicit',
                              rating_column => NULL, factors => 4, iterations => 10);
SELECT string_agg(metric, ', ' ORDER BY metric) FROM cfrec_evaluate('ev_implicit', 'ev_test');
SELECT value > 0.3 AS better_than_chance FROM cfrec_evaluate('ev_implicit', 'ev_test', k => 5) WHERE metric = 'precision';
-- SVD, SGD-fitted.
SELECT users FROM cfrec_train('ev_train', model => 'ev_svd', algorithm => 'svd', factors => 4,
                              iterations => 30);
SELECT algorithm, factors, iterations FROM cfrec_models WHERE model = 'ev_svd';
SELECT value < 1.2 AS rmse_sane FROM cfrec_evaluate('ev_svd', 'ev_test') WHERE metric = 'rmse';
-- SVD++ (issue 15): stored as an ordinary rating model, a user's vector
-- already holding what they rated; it serves, evaluates and folds in.
SELECT users FROM cfrec_train('ev_train', model => 'ev_svdpp', algorithm => 'svdpp', factors => 4,
                              iterations => 30);
SELECT algorithm, factors, iterations FROM cfrec_models WHERE model = 'ev_svdpp';
SELECT value < 1.2 AS rmse_sane FROM cfrec_evaluate('ev_svdpp', 'ev_test') WHERE metric = 'rmse';
SELECT count(*) AS recommended FROM cfrec_recommend(1, 5, 'ev_svdpp');
SELECT count(*) AS folded_in FROM cfrec_recommend_for_items(ARRAY[1, 2, 3]::bigint[], k => 5, model => 'ev_svdpp');
SELECT cfrec_train('ratings', model => 'x', algorithm => 'svdpp', feedback => 'implicit');
-- BPMF: Bayesian matrix factorisation by Gibbs sampling, nothing to tune;
-- the mean of its samples is an ordinary rating model.
SELECT users FROM cfrec_train('ev_train', model => 'ev_bpmf', algorithm => 'bpmf', iterations => 40);
SELECT algorithm, factors, iterations FROM cfrec_models WHERE model = 'ev_bpmf';
SELECT value < 1.0 AS rmse_below_1 FROM cfrec_evaluate('ev_bpmf', 'ev_test') WHERE metric = 'rmse';
SELECT count(*) AS recommended FROM cfrec_recommend(1, 5, 'ev_bpmf');
SELECT count(*) AS folded_in FROM cfrec_recommend_for_items(ARRAY[1, 2, 3]::bigint[], k => 5, model => 'ev_bpmf');
SELECT cfrec_refresh_users('ev_bpmf', ARRAY[1, 2]::bigint[]) AS refreshed;
SELECT cfrec_train('ratings', model => 'x', algorithm => 'bpmf', feedback => 'implicit');
-- Tuning: one row per combination, the best marked, the final model trained with it.
SELECT params, metric_name, mean > 0 AS measured, best
FROM cfrec_tune('ratings', 'ev_tuned', '{"factors": [2, 4], "iterations": 5}', folds => 3) ORDER BY params::text;
SELECT factors = (SELECT (params ->> 'factors')::int FROM cfrec_tune('ratings', 'ev_tuned', '{"factors": [2, 4], "iterations": 5}') WHERE best)
       AS final_has_best FROM cfrec_models WHERE model = 'ev_tuned';
SELECT count(*) AS scratch_models_left FROM cfrec_models WHERE model LIKE 'cfrec_tune:%';
RESET client_min_messages;
-- Bad calls.
SELECT * FROM cfrec_evaluate('nope', 'ev_test');
CREATE TABLE empty_test (LIKE ev_test);
SELECT * FROM cfrec_evaluate('ev', 'empty_test');
SELECT * FROM cfrec_evaluate('ev', 'ev_test', k => 0);
SELECT * FROM cfrec_evaluate('ev_implicit', 'ev_test', relevant_rating => 4);
SELECT * FROM cfrec_split('ratings', 'a', 'b', test_fraction => 1.5);
SELECT * FROM cfrec_split('ratings', 'a', 'b', test_fraction => 0);
SELECT * FROM cfrec_split('ratings', 'a', 'b', method => 'sideways');
SELECT * FROM cfrec_split('ratings', 'a', 'b', method => 'time');
SELECT * FROM cfrec_split('ratings', 'a', 'a');
SELECT * FROM cfrec_split('ratings', 'ev_train', 'b');
SELECT * FROM cfrec_tune('ratings', 't', '[1, 2]');
SELECT * FROM cfrec_tune('ratings', 't', '{"colour": [1]}');
SELECT * FROM cfrec_tune('ratings', 't', '{"factors": []}');
SELECT * FROM cfrec_tune('ratings', 't', '{"factors": [2]}', folds => 1);
SELECT * FROM cfrec_tune('ratings', 't', '{"factors": [2]}', metric => 'accuracy');
SELECT cfrec_train('ratings', model => 'x', algorithm => 'svd', feedback => 'implicit');
SELECT cfrec_train('ratings', model => 'x', algorithm => 'magic');
SELECT cfrec_train('ratings', model => 'x', algorithm => 'svd', learning_rate => 2);
-- cfrec_split and cfrec_tune call only pg_catalog's functions: a better-typed
-- hashtextextended in a schema on the caller's path is never run (issue 13,
-- H4). Unqualified table names still go to the caller's current schema.
CREATE TABLE spy_calls (n int);
CREATE FUNCTION public.hashtextextended(text, integer) RETURNS bigint LANGUAGE plpgsql AS
$$ BEGIN INSERT INTO spy_calls VALUES (1); RETURN 0; END $$;
CREATE SCHEMA split_here;
SET search_path = split_here, public;
SELECT * FROM cfrec_split('ratings', 'sp_train', 'sp_test', method => 'per_user');
SELECT count(*) AS tuned FROM cfrec_tune('ratings', 'ev_spy', '{"factors": [2]}', folds => 2);
RESET search_path;
SELECT to_regclass('split_here.sp_train') IS NOT NULL AS in_current_schema,
       (SELECT count(*) FROM spy_calls) AS spy_calls;
DROP SCHEMA split_here CASCADE;
DROP FUNCTION public.hashtextextended(text, integer);
DROP TABLE spy_calls;
SELECT cfrec_drop_model('ev_spy');
-- Evaluating against the training data itself scores near 0 (rankings
-- exclude what users had in training): a WARNING says so.
SELECT metric, round(value::numeric, 3) FROM cfrec_evaluate('ev', 'ev_train') WHERE metric IN ('precision', 'users');
SELECT cfrec_drop_model(m) FROM unnest(ARRAY['ev', 'ev_implicit', 'ev_svd', 'ev_tuned']) m;
DROP TABLE ev_train, ev_test, sh_train, sh_test, shuffled, rn_train, rn_test, timed_ratings,
           tm_train, tm_test, empty_test;
