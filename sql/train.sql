-- Training: summary, catalog, factor tables, duplicates, NULLs, odd names,
-- determinism and atomic replacement.
\set VERBOSITY terse
-- The SQL surface, with its defaults.
SELECT p.proname, pg_get_function_arguments(p.oid) AS arguments, pg_get_function_result(p.oid) AS result
FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
WHERE p.proname LIKE 'cfrec\_%' ORDER BY p.proname;
-- Two taste groups: users 1-30 like items 1-20, users 31-60 like items 21-40.
CREATE TABLE ratings AS
SELECT u AS user_id, i AS item_id,
       (CASE WHEN (u <= 30) = (i <= 20) THEN 4 + (u * i) % 2 ELSE 1 + (u + i) % 2 END)::real AS rating
FROM generate_series(1, 60) u, generate_series(1, 40) i
WHERE (u * 7 + i * 11) % 5 < 3;
CREATE INDEX ON ratings (user_id);
SELECT count(*) FROM ratings;

-- One NOTICE per iteration; the summary row.
SELECT model, feedback, users, items, interactions, seconds > 0 AS timed, loss > 0 AS has_loss
FROM cfrec_train('ratings', factors => 4, iterations => 3);

SELECT model, feedback, algorithm, source, user_column, item_column, rating_column, factors,
       iterations, regularization, alpha, seed, users, items, interactions, factor_bytes,
       trained_by = current_user AS trained_by_me, version > 0 AS versioned
FROM cfrec_models;

SELECT count(*) AS user_rows, min(array_length(factors, 1)) AS dims,
       bool_and(array_length(factors, 1) = 4) AS all_four
FROM cfrec_user_factors WHERE model = 'default';
SELECT count(*) AS item_rows, sum(interactions) AS interactions
FROM cfrec_item_factors WHERE model = 'default';

-- Explicit duplicates average, NULL ids and ratings are skipped with a NOTICE;
-- any integer type works for ids and any numeric type for ratings.
CREATE TABLE dup (user_id bigint, item_id smallint, rating numeric);
INSERT INTO dup VALUES (1, 1, 2), (1, 1, 4), (1, 2, 5), (2, 1, 3), (NULL, 1, 1), (2, NULL, 1), (2, 2, NULL);
SELECT users, items, interactions FROM cfrec_train('dup', model => 'dup', factors => 2, iterations => 1);
SELECT round(global_mean::numeric, 4) AS mean_of_averaged, rating_min, rating_max
FROM cfrec_model WHERE name = 'dup';

-- Implicit: rating_column => NULL counts each row once, duplicates add up.
SET client_min_messages = warning;
SELECT model, feedback, users, items, interactions
FROM cfrec_train('dup', model => 'dup_implicit', feedback => 'implicit', rating_column => NULL,
                 factors => 2, iterations => 2);
SELECT regularization, alpha, rating_column IS NULL AS counted FROM cfrec_models WHERE model = 'dup_implicit';
SELECT id, interactions FROM cfrec_item_factors WHERE model = 'dup_implicit' ORDER BY id;

-- Integer, smallint and real columns are read as stored and widened by
-- cfrec: the same model as from their bigint and double precision casts.
CREATE TABLE narrow (user_id integer, item_id smallint, strength real);
INSERT INTO narrow SELECT u, i, ((u * 7 + i) % 5) + 0.5
FROM generate_series(1, 12) u, generate_series(1, 6) i WHERE (u + i) % 3 <> 0;
CREATE VIEW wide AS
SELECT user_id::bigint AS user_id, item_id::bigint AS item_id, strength::float8 AS strength FROM narrow;
SELECT cfrec_train('narrow', model => 'narrow', rating_column => 'strength', feedback => 'implicit',
                   factors => 3, iterations => 2) IS NOT NULL;
SELECT cfrec_train('wide', model => 'wide', rating_column => 'strength', feedback => 'implicit',
                   factors => 3, iterations => 2) IS NOT NULL;
SELECT count(*) AS users, bool_and(a.factors = b.factors) AS same_factors
FROM cfrec_user_factors a JOIN cfrec_user_factors b USING (id)
WHERE a.model = 'narrow' AND b.model = 'wide';

-- Same seed, same model; another seed, another model.
SELECT cfrec_train('ratings', model => 's1', factors => 3, iterations => 2) IS NOT NULL;
SELECT cfrec_train('ratings', model => 's2', factors => 3, iterations => 2) IS NOT NULL;
SELECT cfrec_train('ratings', model => 's3', factors => 3, iterations => 2, seed => 7) IS NOT NULL;
SELECT bool_and(a.factors = b.factors) AS same_seed_same_factors
FROM cfrec_item_factors a JOIN cfrec_item_factors b USING (id)
WHERE a.model = 's1' AND b.model = 's2';
SELECT bool_and(a.factors = b.factors) AS other_seed_same_factors
FROM cfrec_item_factors a JOIN cfrec_item_factors b USING (id)
WHERE a.model = 's1' AND b.model = 's3';

-- Names are quoted safely: this trains and drops nothing.
CREATE TABLE r (x int);
CREATE TABLE "odd; DROP TABLE r; --" ("user id" int, "Item" int, "rat""ing" float8);
INSERT INTO "odd; DROP TABLE r; --" SELECT user_id, item_id, rating FROM ratings;
SELECT model, users, items FROM cfrec_train('"odd; DROP TABLE r; --"', model => 'odd',
    user_column => 'user id', item_column => 'Item', rating_column => 'rat"ing', iterations => 1);
SELECT to_regclass('r') IS NOT NULL AS r_still_there;
SELECT source, user_column, rating_column FROM cfrec_models WHERE model = 'odd';

-- Views train too.
CREATE VIEW good_ratings AS SELECT * FROM ratings WHERE rating >= 4;
SELECT model, users, items, interactions FROM cfrec_train('good_ratings', model => 'view',
    feedback => 'implicit', iterations => 1);

-- Retraining replaces the model as a whole.
SELECT version AS old_version FROM cfrec_models WHERE model = 'default' \gset
SELECT users FROM cfrec_train('ratings', factors => 6, iterations => 2);
SELECT factors, version > :old_version AS newer FROM cfrec_models WHERE model = 'default';
SELECT count(*) AS rows, bool_and(array_length(factors, 1) = 6) AS all_six
FROM cfrec_user_factors WHERE model = 'default';
RESET client_min_messages;

-- Left NULL, iterations follow the algorithm (bench/RESULTS.md): 8 for
-- explicit ALS, 15 for implicit ALS, 40 SGD epochs for SVD.
SET client_min_messages = warning;
SELECT count(*) FROM (
    SELECT cfrec_train('ratings', model => 'it_explicit', factors => 2)
    UNION ALL SELECT cfrec_train('ratings', model => 'it_implicit', factors => 2, feedback => 'implicit')
    UNION ALL SELECT cfrec_train('ratings', model => 'it_svd', factors => 2, algorithm => 'svd')) t;
SELECT model, algorithm, feedback, iterations FROM cfrec_models WHERE model LIKE 'it\_%' ORDER BY model;
SELECT cfrec_drop_model(m) FROM unnest(ARRAY['it_explicit', 'it_implicit', 'it_svd']) m;
RESET client_min_messages;
