-- Serving: recommend, predict, similar items, popularity fallback,
-- freshness of seen items, cache invalidation, rollback, drop.
\set VERBOSITY terse
SET client_min_messages = warning;
SELECT users FROM cfrec_train('ratings', factors => 4, iterations => 10);

-- k rows, best first, none the user has rated, all from the user's taste group.
SELECT count(*) AS n, bool_and(item_id <= 20) AS own_group FROM cfrec_recommend(1, 5);
SELECT count(*) AS rated FROM cfrec_recommend(1, 5) r JOIN ratings s ON s.item_id = r.item_id AND s.user_id = 1;
SELECT bool_and(item_id > 20) AS own_group FROM cfrec_recommend(45, 5);
SELECT bool_and(score <= prev) AS best_first
FROM (SELECT score, lag(score, 1, 'Infinity') OVER (ORDER BY ordinality) AS prev
      FROM cfrec_recommend(1, 10) WITH ORDINALITY) s;

-- exclude_seen => false ranks everything; k beyond the catalogue returns what there is.
SELECT count(*) FROM cfrec_recommend(1, 1000, exclude_seen => false);
SELECT count(*) + (SELECT count(*) FROM ratings WHERE user_id = 1) AS all_items FROM cfrec_recommend(1, 1000);

-- Ratings added after training are excluded too.
SELECT item_id AS top_item FROM cfrec_recommend(1, 1) \gset
INSERT INTO ratings VALUES (1, :top_item, 5);
SELECT count(*) AS still_there FROM cfrec_recommend(1, 40) WHERE item_id = :top_item;
DELETE FROM ratings WHERE user_id = 1 AND item_id = :top_item;

-- A user unknown to the model gets the most popular items, score = interactions.
SELECT (SELECT array_agg(item_id) FROM cfrec_recommend(9999, 3)) =
       (SELECT array_agg(id) FROM (SELECT id FROM cfrec_item_factors WHERE model = 'default'
                                   ORDER BY interactions DESC, id LIMIT 3) p) AS popular;
SELECT score FROM cfrec_recommend(9999, 1);

-- Predictions: within the rating range; unknown ids fall back to mean and biases.
SELECT min(p) >= 1 AND max(p) <= 5 AS in_range
FROM (SELECT cfrec_predict(u, i) AS p FROM generate_series(1, 60) u, generate_series(1, 40) i) s;
SELECT cfrec_predict(1, 1) > cfrec_predict(1, 40) AS likes_own_group;
SELECT abs(cfrec_predict(9999, 3) - (m.global_mean + f.bias)) < 1e-5 AS mean_plus_item_bias
FROM cfrec_model m JOIN cfrec_item_factors f ON f.model = m.name
WHERE m.name = 'default' AND f.id = 3;
SELECT abs(cfrec_predict(9999, 9999) - global_mean) < 1e-5 AS mean FROM cfrec_model WHERE name = 'default';

-- Similar items: cosine, never the item itself, nothing for an unknown item.
SELECT count(*) AS n, bool_and(item_id <> 3) AS not_itself,
       bool_and(similarity BETWEEN -1.0001 AND 1.0001) AS cosine, bool_and(item_id <= 20) AS same_group
FROM cfrec_similar_items(3, 5);
SELECT count(*) FROM cfrec_similar_items(12345);

-- A retrain is seen by the next call in this session (the cache follows the version).
-- (\gset keeps the real's shortest text, which reads back exactly as real.)
SELECT cfrec_predict(1, 1) AS before \gset
SELECT users FROM cfrec_train('ratings', factors => 4, iterations => 10, seed => 99);
SELECT cfrec_predict(1, 1) <> :before::real AS changed;

-- A rolled-back retrain leaves the previous model, and serving follows.
SELECT cfrec_predict(1, 1) AS committed \gset
BEGIN;
SELECT users FROM cfrec_train('ratings', factors => 2, iterations => 1);
SELECT factors FROM cfrec_models WHERE model = 'default';
SELECT cfrec_predict(1, 1) <> :committed::real AS sees_own_retrain;
ROLLBACK;
SELECT factors FROM cfrec_models WHERE model = 'default';
SELECT cfrec_predict(1, 1) = :committed::real AS back_to_committed;

-- A failing retrain leaves the previous model untouched.
SELECT version AS v FROM cfrec_models WHERE model = 'default' \gset
CREATE TABLE broken AS SELECT * FROM ratings;
INSERT INTO broken VALUES (1, 1, 'NaN');
SELECT users FROM cfrec_train('broken');
SELECT version = :v AS untouched, factors FROM cfrec_models WHERE model = 'default';
SELECT count(*) FROM cfrec_recommend(1, 3);

-- Implicit models serve the same way; here a "click" is a rating of 4 or more.
SELECT users FROM cfrec_train('good_ratings', model => 'clicks', feedback => 'implicit',
                              rating_column => NULL, factors => 4, iterations => 10);
SELECT count(*) AS n, bool_and(item_id <= 20) AS own_group FROM cfrec_recommend(1, 5, model => 'clicks');
SELECT cfrec_predict(1, 1, model => 'clicks') > cfrec_predict(1, 40, model => 'clicks') AS prefers_own;
SELECT cfrec_predict(9999, 1, model => 'clicks') AS unknown_user;

-- Excluding seen items without an index on the user column warns once per
-- backend and source.
CREATE TABLE unindexed AS SELECT * FROM ratings;
SELECT users FROM cfrec_train('unindexed', model => 'unindexed', factors => 2, iterations => 1);
RESET client_min_messages;
SELECT count(*) FROM cfrec_recommend(1, 3, model => 'unindexed');
SELECT count(*) FROM cfrec_recommend(2, 3, model => 'unindexed');
SET client_min_messages = warning;

-- Dropping.
SELECT cfrec_drop_model('clicks');
SELECT count(*) FROM cfrec_models WHERE model = 'clicks';
SELECT count(*) FROM cfrec_item_factors WHERE model = 'clicks';
SELECT * FROM cfrec_recommend(1, model => 'clicks');
SELECT cfrec_drop_model('clicks');
RESET client_min_messages;
SELECT cfrec_drop_model('clicks', if_exists => true);
