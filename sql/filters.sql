-- include / exclude on cfrec_recommend, and cfrec_recommend_for_items for
-- visitors who are not stored users.
\set VERBOSITY terse
SET client_min_messages = warning;
SELECT users FROM cfrec_train('ratings', model => 'f', factors => 4, iterations => 10);
-- include restricts the candidates: only they come back, k of them when k are eligible.
SELECT array_agg(item_id ORDER BY item_id) FROM cfrec_recommend(1, 3, model => 'f',
    include => ARRAY[21, 22, 23, 24, 25, 26]::bigint[]);
SELECT count(*) AS eligible_only FROM cfrec_recommend(1, 10, model => 'f',
    include => (SELECT array_agg(item_id) FROM ratings WHERE user_id = 1));
SELECT count(*) FROM cfrec_recommend(1, 10, model => 'f', exclude_seen => false,
    include => (SELECT array_agg(item_id) FROM ratings WHERE user_id = 1));
-- exclude drops items before ranking: still k rows.
SELECT item_id AS top FROM cfrec_recommend(1, 1, model => 'f') \gset
SELECT count(*) AS n, bool_and(item_id <> :top) AS top_dropped
FROM cfrec_recommend(1, 5, model => 'f', exclude => ARRAY[:top]::bigint[]);
-- Both, and an unknown user (popular items among those included).
SELECT count(*) FROM cfrec_recommend(1, 5, model => 'f',
    include => ARRAY[21, 22, 23]::bigint[], exclude => ARRAY[22]::bigint[]);
SELECT array_agg(item_id ORDER BY item_id) FROM cfrec_recommend(9999, 5, model => 'f',
    include => ARRAY[5, 6, 7]::bigint[]);
SELECT count(*) FROM cfrec_recommend(1, 5, model => 'f', include => ARRAY[]::bigint[]);

-- A visitor who liked three films of the second taste group (from different
-- id classes of the test data) gets films of
-- that group, never the three.
SELECT count(*) AS n, bool_and(item_id > 20) AS their_group,
       bool_and(item_id NOT IN (23, 31, 37)) AS not_the_given
FROM cfrec_recommend_for_items(ARRAY[23, 31, 37]::bigint[], model => 'f');
-- With ratings: disliking the second group points to the first.
SELECT bool_and(item_id <= 20) AS other_group
FROM cfrec_recommend_for_items(ARRAY[23, 31, 37]::bigint[], ARRAY[1, 1, 1]::real[], 5, 'f');
-- Implicit models fold in the same way.
SELECT users FROM cfrec_train('good_ratings', model => 'fi', feedback => 'implicit',
                              rating_column => NULL, factors => 4, iterations => 10);
SELECT bool_and(item_id > 20) AS their_group
FROM cfrec_recommend_for_items(ARRAY[23, 31, 37]::bigint[], model => 'fi');
-- Items the model does not know: the popular items, as for a new user.
SELECT (SELECT array_agg(item_id) FROM cfrec_recommend_for_items(ARRAY[777, 888]::bigint[], k => 3, model => 'f')) =
       (SELECT array_agg(item_id) FROM cfrec_recommend(9999, 3, model => 'f')) AS popular;
RESET client_min_messages;
-- Bad calls.
SELECT * FROM cfrec_recommend_for_items(NULL, model => 'f');
SELECT * FROM cfrec_recommend_for_items(ARRAY[1, NULL]::bigint[], model => 'f');
SELECT * FROM cfrec_recommend_for_items(ARRAY[1, 2]::bigint[], ARRAY[5]::real[], model => 'f');
SELECT * FROM cfrec_recommend_for_items(ARRAY[1]::bigint[], ARRAY['NaN']::real[], model => 'f');
SELECT * FROM cfrec_recommend_for_items(ARRAY[1]::bigint[], k => 0, model => 'f');
SELECT * FROM cfrec_recommend_for_items(ARRAY[1]::bigint[], model => 'nope');
SELECT * FROM cfrec_recommend(1, model => 'f', include => ARRAY[NULL]::bigint[]);
SELECT * FROM cfrec_recommend(1, model => 'f', exclude => ARRAY[1, NULL]::bigint[]);
