-- Every bad call gets an ERROR with a proper SQLSTATE, and a HINT where one helps.
-- try() runs a statement and shows (code, message, hint) of its error, which
-- keeps this file free of source line numbers.
CREATE FUNCTION try(statement text, OUT code text, OUT message text, OUT hint text)
LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE statement;
    code := 'ok';
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS code = RETURNED_SQLSTATE, message = MESSAGE_TEXT, hint = PG_EXCEPTION_HINT;
END $$;
\set VERBOSITY terse
CREATE TABLE err_ratings (user_id int, item_id int, rating real, label text, at timestamptz);
INSERT INTO err_ratings SELECT u, i, 1 + (u + i) % 5, 'x', now() FROM generate_series(1, 5) u, generate_series(1, 5) i;
-- Missing table and columns.
SELECT * FROM try($$SELECT cfrec_train('no_such_table')$$);
SELECT * FROM try($$SELECT cfrec_train('err_ratings', user_column => 'uid')$$);
SELECT * FROM try($$SELECT cfrec_train('err_ratings', item_column => 'movie_id')$$);
SELECT * FROM try($$SELECT cfrec_train('err_ratings', rating_column => 'stars')$$);
SELECT * FROM try($$SELECT cfrec_train('err_ratings', user_column => 'ctid')$$);
-- Wrong types and object kinds.
SELECT * FROM try($$SELECT cfrec_train('err_ratings', rating_column => 'label')$$);
SELECT * FROM try($$SELECT cfrec_train('err_ratings', rating_column => 'at')$$);
SELECT * FROM try($$SELECT cfrec_train('err_ratings', user_column => 'rating')$$);
CREATE SEQUENCE err_seq;
SELECT * FROM try($$SELECT cfrec_train('err_seq')$$);
-- Bad values in the data.
CREATE TABLE err_nan AS SELECT * FROM err_ratings;
INSERT INTO err_nan VALUES (9, 9, 'NaN');
SELECT * FROM try($$SELECT cfrec_train('err_nan')$$);
CREATE TABLE err_inf AS SELECT * FROM err_ratings;
INSERT INTO err_inf VALUES (9, 9, '-Infinity');
SELECT * FROM try($$SELECT cfrec_train('err_inf')$$);
CREATE TABLE err_neg AS SELECT * FROM err_ratings;
INSERT INTO err_neg VALUES (9, 9, -1);
SELECT * FROM try($$SELECT cfrec_train('err_neg', feedback => 'implicit')$$);
CREATE TABLE err_empty (user_id int, item_id int, rating real);
SELECT * FROM try($$SELECT cfrec_train('err_empty')$$);
INSERT INTO err_empty VALUES (NULL, 1, 1), (1, NULL, 2);
SELECT * FROM try($$SELECT cfrec_train('err_empty')$$);
-- Parameters out of range.
SELECT * FROM try($$SELECT cfrec_train('err_ratings', factors => 0)$$);
SELECT * FROM try($$SELECT cfrec_train('err_ratings', factors => 5000)$$);
SELECT * FROM try($$SELECT cfrec_train('err_ratings', iterations => 0)$$);
SELECT * FROM try($$SELECT cfrec_train('err_ratings', regularization => -1)$$);
SELECT * FROM try($$SELECT cfrec_train('err_ratings', regularization => 'NaN')$$);
SELECT * FROM try($$SELECT cfrec_train('err_ratings', feedback => 'implicit', alpha => 'Infinity')$$);
SELECT * FROM try($$SELECT cfrec_train('err_ratings', feedback => 'ratings')$$);
SELECT * FROM try($$SELECT cfrec_train('err_ratings', model => '')$$);
SELECT * FROM try($$SELECT cfrec_train('err_ratings', rating_column => NULL)$$);
-- NULL arguments.
SELECT * FROM try($$SELECT cfrec_train(NULL)$$);
SELECT * FROM try($$SELECT cfrec_train('err_ratings', model => NULL)$$);
SELECT * FROM try($$SELECT cfrec_train('err_ratings', user_column => NULL)$$);
-- (feedback, factors, iterations, regularization and alpha may be NULL: the
-- algorithm's default.)
SELECT * FROM try($$SELECT cfrec_train('err_ratings', algorithm => NULL)$$);
SELECT * FROM try($$SELECT cfrec_train('err_ratings', learning_rate => NULL)$$);
SELECT * FROM try($$SELECT cfrec_train('err_ratings', seed => NULL)$$);
-- Serving: unknown model, bad k, NULLs.
SELECT * FROM try($$SELECT * FROM cfrec_recommend(1, model => 'nope')$$);
SELECT * FROM try($$SELECT cfrec_predict(1, 1, model => 'nope')$$);
SELECT * FROM try($$SELECT * FROM cfrec_similar_items(1, model => 'nope')$$);
SELECT cfrec_train('err_ratings', model => 'err', factors => 2, iterations => 1) IS NOT NULL AS trained;
SELECT * FROM try($$SELECT * FROM cfrec_recommend(1, 0, model => 'err')$$);
SELECT * FROM try($$SELECT * FROM cfrec_recommend(1, -5, model => 'err')$$);
SELECT * FROM try($$SELECT * FROM cfrec_similar_items(1, 0, model => 'err')$$);
SELECT * FROM try($$SELECT * FROM cfrec_recommend(NULL, model => 'err')$$);
SELECT * FROM try($$SELECT * FROM cfrec_recommend(1, NULL, model => 'err')$$);
SELECT * FROM try($$SELECT * FROM cfrec_recommend(1, model => NULL)$$);
SELECT * FROM try($$SELECT * FROM cfrec_recommend(1, model => 'err', exclude_seen => NULL)$$);
SELECT * FROM try($$SELECT cfrec_predict(NULL, 1, model => 'err')$$);
SELECT * FROM try($$SELECT cfrec_predict(1, NULL, model => 'err')$$);
SELECT * FROM try($$SELECT * FROM cfrec_similar_items(NULL, model => 'err')$$);
SELECT * FROM try($$SELECT cfrec_drop_model('nope')$$);
SELECT * FROM try($$SELECT cfrec_drop_model(NULL)$$);
-- Hints are true for the situation: only an argument with a default is told
-- to be left out (user_id and kmeans' k have none).
SELECT * FROM try($$SELECT * FROM cfrec_kmeans('err', 0)$$);
SELECT * FROM try($$SELECT * FROM cfrec_kmeans('err', 2, iterations => 0)$$);
SELECT * FROM try($$SELECT cfrec_train('err_ratings', model => 'err2', iterations => -1)$$);
-- A text rating is told to cast to a type that keeps 3.5 (float8, not bigint);
-- a missing rating column mentions rating_column => NULL for implicit feedback.
SELECT * FROM try($$SELECT cfrec_train('err_ratings', model => 'err2', rating_column => 'label')$$);
SELECT * FROM try($$SELECT cfrec_train('err_ratings', model => 'err2', rating_column => 'stars', feedback => 'implicit')$$);
-- cfrec_split and cfrec_tune: a wrong column is 42703 naming the argument,
-- never an error from their internal SQL.
SELECT * FROM try($$SELECT * FROM cfrec_split('err_ratings', 'a', 'b', item_column => 'movie_id')$$);
SELECT * FROM try($$SELECT * FROM cfrec_split('err_ratings', 'a', 'b', user_column => 'uid')$$);
SELECT * FROM try($$SELECT * FROM cfrec_split('err_ratings', 'a', 'b', method => 'time', time_column => 'when')$$);
SELECT * FROM try($$SELECT * FROM cfrec_tune('err_ratings', 't', '{"factors": [2]}', item_column => 'movie_id')$$);
SELECT * FROM try($$SELECT * FROM cfrec_tune('err_ratings', 't', '{"factors": [2]}', rating_column => 'stars')$$);
SELECT to_regclass('a') IS NULL AND to_regclass('b') IS NULL AS nothing_created;
-- Empty model names are 22023 everywhere; since must be positive.
SELECT * FROM try($$SELECT * FROM cfrec_popular(model => '')$$);
SELECT * FROM try($$SELECT cfrec_drop_model('')$$);
SELECT * FROM try($$SELECT * FROM cfrec_popular(model => 'err', since => '-1 day')$$);
SELECT * FROM try($$SELECT * FROM cfrec_predict(1, 1, model => '')$$);
-- Results are finite or an error: huge finite ratings or alpha overflow the
-- factors, and such a model is never stored.
CREATE TABLE err_huge AS SELECT user_id, item_id, rating * 6e37 AS rating FROM err_ratings;
SELECT * FROM try($$SELECT cfrec_train('err_huge', model => 'err_huge', factors => 2, iterations => 2)$$);
SELECT * FROM try($$SELECT cfrec_train('err_ratings', model => 'err_huge', feedback => 'implicit', alpha => 1e308, factors => 2, iterations => 2)$$);
SELECT count(*) AS stored FROM cfrec_models WHERE model = 'err_huge';
-- A training that would need more than cfrec.max_training_memory is refused
-- before it allocates; only a superuser may raise the limit.
SET cfrec.max_training_memory = '1MB';
SET cfrec.threads = 1;  -- the estimate counts per-thread workspace
SELECT * FROM try($$SELECT cfrec_train('err_ratings', model => 'err_huge', factors => 1024, iterations => 1)$$);
RESET cfrec.max_training_memory;
RESET cfrec.threads;
CREATE ROLE regress_cfrec_limited;
SET ROLE regress_cfrec_limited;
SELECT * FROM try($$SET cfrec.max_training_memory = '100GB'$$);
RESET ROLE;
DROP ROLE regress_cfrec_limited;
DROP TABLE err_huge;
-- Inputs serving checks as training does: negative implicit strengths,
-- multi-dimensional arrays, names too long to store (before any work).
SELECT cfrec_train('err_ratings', model => 'err_imp', feedback => 'implicit', rating_column => NULL, factors => 2, iterations => 1) IS NOT NULL AS trained;
SELECT * FROM try($$SELECT * FROM cfrec_recommend_for_items('{1,2}', '{1,-1}', model => 'err_imp')$$);
SELECT * FROM try($$SELECT * FROM cfrec_recommend_for_items('{{1,2},{3,4}}', model => 'err_imp')$$);
SELECT * FROM try($$SELECT * FROM cfrec_recommend(1, model => 'err', exclude => '{{1},{2}}')$$);
SELECT * FROM try($$SELECT cfrec_train('err_ratings', model => repeat('m', 3200))$$);
SELECT * FROM try($$SELECT * FROM cfrec_evaluate('err', 'err_ratings', relevant_rating => 'NaN')$$);
SELECT * FROM try($$SELECT * FROM cfrec_evaluate('err', 'err_ratings', relevant_rating => 'Infinity')$$);
SELECT cfrec_drop_model('err_imp');
-- The source of a model disappears: serving with exclude_seen says so,
-- serving without it still works.
DROP TABLE err_ratings;
SELECT * FROM try($$SELECT * FROM cfrec_recommend(1, model => 'err')$$);
SELECT count(*) FROM cfrec_recommend(1, model => 'err', exclude_seen => false);
