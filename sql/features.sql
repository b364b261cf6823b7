-- Item and user features: a map from features to factors, so items and
-- users with features but no interactions get vectors at training and in
-- cfrec_refresh_items / cfrec_refresh_users.
\set VERBOSITY terse
-- Clicks: the ratings of 4 and 5, which follow the two taste groups.
CREATE TABLE fe_clicks AS SELECT user_id, item_id FROM ratings WHERE rating >= 4;
CREATE INDEX ON fe_clicks (user_id);
CREATE TABLE fe_ratings AS SELECT * FROM ratings;
CREATE INDEX ON fe_ratings (user_id);
-- Items 1-20 are of kind a, 21-40 of kind b (the two taste groups), with a
-- decade each; item 41 is of kind b and item 42 of kind a, neither rated.
CREATE TABLE fe_items (id bigint, feature text, weight real);
INSERT INTO fe_items SELECT i, CASE WHEN i <= 20 THEN 'kind:a' ELSE 'kind:b' END, 1 FROM generate_series(1, 40) i;
INSERT INTO fe_items SELECT i, 'decade:' || (1950 + 10 * (i % 5)), 0.5 FROM generate_series(1, 40) i;
INSERT INTO fe_items VALUES (41, 'kind:b', 1), (42, 'kind:a', 1), (41, 'decade:1960', 0.5),
                            (42, 'decade:1960', 0.5);
-- Rows left out: NULL ids, features or weights. A repeated pair counts its weights summed.
INSERT INTO fe_items VALUES (NULL, 'kind:a', 1), (7, NULL, 1), (8, 'kind:a', NULL), (1, 'kind:a', 1);
SELECT model, users, items FROM cfrec_train('fe_clicks', model => 'fe', feedback => 'implicit',
    rating_column => NULL, factors => 6, iterations => 10, item_features => 'fe_items',
    feature_weight_column => 'weight');
SELECT side, relation, id_column, feature_column, weight_column, features FROM cfrec_feature_source WHERE model = 'fe';
SELECT count(*) AS map_rows, count(*) FILTER (WHERE feature IS NULL) AS intercepts,
       bool_and(array_length(factors, 1) = 6) AS width FROM cfrec_feature_factors WHERE model = 'fe';
SELECT id, interactions FROM cfrec_item_factors WHERE model = 'fe' AND id > 40 ORDER BY id;
-- The unrated films go to their group: a first-group user prefers item 42,
-- a second-group user item 41.
SELECT cfrec_predict(5, 42, 'fe') > cfrec_predict(5, 41, 'fe') AS first_group,
       cfrec_predict(40, 41, 'fe') > cfrec_predict(40, 42, 'fe') AS second_group;
-- cfrec_explain splits a film known only by its features over them, exactly.
SELECT kind, feature, item_id IS NULL AS no_item FROM cfrec_explain(40, 41, 'fe') ORDER BY kind, feature;
SELECT abs(sum(contribution) - (SELECT score FROM cfrec_recommend(40, 1, 'fe', exclude_seen => false,
                                                                  include => ARRAY[41]::bigint[]))) < 1e-4 AS sums_up,
       abs(sum(contribution) FILTER (WHERE kind = 'remainder')) < 1e-4 AS exact
FROM cfrec_explain(40, 41, 'fe');
SELECT feature FROM cfrec_explain(40, 41, 'fe', k => 1) WHERE kind = 'feature';
-- A film with interactions is explained by the user's items, as before.
SELECT DISTINCT kind FROM cfrec_explain(40, 25, 'fe') ORDER BY 1;
-- A film added after training, with its features: a vector from them
-- without retraining, recommended to second-group users.
INSERT INTO fe_items VALUES (43, 'kind:b', 1), (43, 'decade:1970', 0.5);
SELECT cfrec_refresh_items('fe', ARRAY[43]::bigint[]) AS refreshed;
SELECT interactions FROM cfrec_item_factors WHERE model = 'fe' AND id = 43;
SELECT count(*) FILTER (WHERE u > 30) = 30 AS every_second_group_user
FROM generate_series(1, 60) u WHERE 43 IN (SELECT item_id FROM cfrec_recommend(u, 10, 'fe'));
-- Once rated, the film is solved from its rows as any other.
INSERT INTO fe_clicks SELECT u, 43 FROM generate_series(31, 40) u;
SELECT cfrec_refresh_items('fe', ARRAY[43]::bigint[]) AS refreshed;
SELECT interactions FROM cfrec_item_factors WHERE model = 'fe' AND id = 43;
-- An id with neither rows nor features still leaves the model.
SELECT cfrec_refresh_items('fe', ARRAY[44]::bigint[]) AS refreshed;
SELECT count(*) FROM cfrec_item_factors WHERE model = 'fe' AND id = 44;
-- Refreshing every item keeps those with features only.
SELECT cfrec_refresh_items('fe') AS refreshed;
SELECT id FROM cfrec_item_factors WHERE model = 'fe' AND interactions = 0 ORDER BY id;

-- Explicit models map the bias too; user features work the same way:
-- user 999 has only stated the second group's taste.
CREATE TABLE fe_users (id bigint, feature text);
INSERT INTO fe_users SELECT u, CASE WHEN u <= 30 THEN 'likes:a' ELSE 'likes:b' END FROM generate_series(1, 60) u;
INSERT INTO fe_users VALUES (999, 'likes:b');
SELECT model, users, items FROM cfrec_train('fe_ratings', model => 'fe_stars', factors => 6, iterations => 10,
    item_features => 'fe_items', user_features => 'fe_users', feature_weight_column => NULL);
SELECT side, features FROM cfrec_feature_source WHERE model = 'fe_stars' ORDER BY side;
SELECT bias <> 0 AS has_bias FROM cfrec_item_factors WHERE model = 'fe_stars' AND id = 41;
SELECT count(*) AS shown, bool_and(item_id > 20) AS second_group FROM cfrec_recommend(999, 5, 'fe_stars');
-- Their score is theirs by their stated taste: the user's features explain it.
SELECT kind, feature FROM cfrec_explain(999, 25, 'fe_stars') ORDER BY kind;
SELECT abs(sum(contribution) - (SELECT score FROM cfrec_recommend(999, 1, 'fe_stars', exclude_seen => false,
                                                                  include => ARRAY[25]::bigint[]))) < 1e-4 AS sums_up
FROM cfrec_explain(999, 25, 'fe_stars');
-- A new user with features only, after training.
INSERT INTO fe_users VALUES (998, 'likes:a');
SELECT cfrec_refresh_users('fe_stars', ARRAY[998]::bigint[]) AS refreshed;
SELECT bool_and(item_id <= 20 OR item_id = 42) AS first_group FROM cfrec_recommend(998, 5, 'fe_stars');

-- Retraining without features drops the map; dropping the model drops it too.
SELECT users FROM cfrec_train('fe_clicks', model => 'fe', feedback => 'implicit', rating_column => NULL,
                              factors => 6, iterations => 2);
SELECT count(*) FROM cfrec_feature_source WHERE model = 'fe';
SELECT count(*) FROM cfrec_item_factors WHERE model = 'fe' AND interactions = 0;
SELECT cfrec_drop_model('fe_stars');
SELECT count(*) FROM cfrec_feature_factors WHERE model = 'fe_stars';

-- Reading features is cancellable, and a cancelled training leaves the model as it was.
CREATE VIEW fe_slow AS SELECT i::bigint AS id, 'kind:b' AS feature FROM generate_series(1, 200) i
WHERE pg_sleep(0.05) IS NOT NULL;
SELECT version AS v FROM cfrec_models WHERE model = 'fe' \gset
SET statement_timeout = '500ms';
SELECT cfrec_train('fe_clicks', model => 'fe', feedback => 'implicit', rating_column => NULL,
                   factors => 6, iterations => 2, item_features => 'fe_slow');
RESET statement_timeout;
SELECT version = :v AS untouched FROM cfrec_models WHERE model = 'fe';
DROP VIEW fe_slow;

-- Errors.
SELECT cfrec_train('fe_ratings', model => 'fe_bad', item_features => 'fe_items', feature_column => 'kind');
SELECT cfrec_train('fe_ratings', model => 'fe_bad', item_features => 'fe_items', feature_id_column => 'feature');
SELECT cfrec_train('fe_ratings', model => 'fe_bad', item_features => 'fe_items', feature_weight_column => 'feature');
SELECT cfrec_train('fe_ratings', model => 'fe_bad', item_features => 'fe_items', feature_column => NULL);
CREATE SEQUENCE fe_seq;
SELECT cfrec_train('fe_ratings', model => 'fe_bad', item_features => 'fe_seq');
CREATE TABLE fe_strangers (id bigint, feature text);
INSERT INTO fe_strangers VALUES (5000, 'x');
SELECT cfrec_train('fe_ratings', model => 'fe_bad', item_features => 'fe_strangers');
UPDATE fe_items SET weight = 'NaN' WHERE id = 3 AND feature = 'kind:a';
SELECT cfrec_train('fe_ratings', model => 'fe_bad', item_features => 'fe_items', feature_weight_column => 'weight');
SELECT count(*) FROM cfrec_models WHERE model = 'fe_bad';

SELECT cfrec_drop_model('fe');
DROP TABLE fe_clicks, fe_ratings, fe_items, fe_users, fe_strangers;
DROP SEQUENCE fe_seq;
