-- cfrec_refresh_users: users' factors recomputed from their current rows,
-- item factors fixed; new users join the model.
\set VERBOSITY terse
SET client_min_messages = warning;
CREATE TABLE live AS SELECT * FROM ratings;
CREATE INDEX ON live (user_id, item_id);
SELECT users FROM cfrec_train('live', model => 'live', factors => 4, iterations => 10);
-- User 5000 is new: popular items, the model does not know them.
SELECT (SELECT array_agg(item_id) FROM cfrec_recommend(5000, 3, model => 'live')) =
       (SELECT array_agg(item_id) FROM cfrec_recommend(9999, 3, model => 'live')) AS popular_before;
-- They rate three films of the second group highly and two of the first poorly.
INSERT INTO live VALUES (5000, 23, 5), (5000, 31, 5), (5000, 37, 4), (5000, 2, 1), (5000, 9, 1);
SELECT cfrec_refresh_users('live', ARRAY[5000]::bigint[]) AS refreshed;
SELECT users FROM cfrec_models WHERE model = 'live';
SELECT count(*) AS n, bool_and(item_id > 20) AS their_group FROM cfrec_recommend(5000, 5, model => 'live');
SELECT cfrec_predict(5000, 25, model => 'live') > cfrec_predict(5000, 5, model => 'live') AS prefers_second;
-- Refreshing twice changes nothing the second time. (User 1's trained
-- factors change on the first refresh: training's last half-step updates
-- the items, so trained users lag one half-step behind.)
SELECT cfrec_refresh_users('live', ARRAY[5000, 1]::bigint[]) AS refreshed;
CREATE TABLE before AS SELECT id, bias, factors FROM cfrec_user_factors WHERE model = 'live';
SELECT cfrec_refresh_users('live', ARRAY[5000, 1]::bigint[]) AS refreshed;
SELECT count(*) AS changed FROM cfrec_user_factors f JOIN before b USING (id)
WHERE f.model = 'live' AND (f.factors <> b.factors OR f.bias <> b.bias);
-- NULL: every user of the source.
SELECT cfrec_refresh_users('live') AS refreshed;
-- A user with no rows left leaves the model.
DELETE FROM live WHERE user_id = 5000;
RESET client_min_messages;
SELECT cfrec_refresh_users('live', ARRAY[5000]::bigint[]) AS refreshed;
SELECT users FROM cfrec_models WHERE model = 'live';
SET client_min_messages = warning;
-- Implicit models the same way.
CREATE TABLE clicks AS SELECT user_id, item_id FROM ratings WHERE rating >= 4;
CREATE INDEX ON clicks (user_id, item_id);
SELECT users FROM cfrec_train('clicks', model => 'clicks', feedback => 'implicit', rating_column => NULL,
                              factors => 4, iterations => 10);
INSERT INTO clicks VALUES (6000, 23), (6000, 31), (6000, 37);
SELECT cfrec_refresh_users('clicks', ARRAY[6000]::bigint[]) AS refreshed;
SELECT bool_and(item_id > 20) AS their_group FROM cfrec_recommend(6000, 5, model => 'clicks');
-- Items the same way, user factors fixed: a new film that the second group
-- rates highly joins the model among that group's films.
INSERT INTO live SELECT u, 500, 5 FROM generate_series(31, 60) u WHERE u % 2 = 0;
SELECT cfrec_refresh_items('live', ARRAY[500]::bigint[]) AS refreshed;
SELECT items FROM cfrec_models WHERE model = 'live';
SELECT interactions FROM cfrec_item_factors WHERE model = 'live' AND id = 500;
SELECT count(*) AS n, bool_and(item_id > 20) AS its_group FROM cfrec_similar_items(500, 5, model => 'live');
SELECT count(*) > 0 AS recommended FROM cfrec_recommend(31, 5, model => 'live') WHERE item_id = 500;
SELECT cfrec_refresh_items('live') AS refreshed;
RESET client_min_messages;
-- Bad calls.
SELECT cfrec_refresh_users('nope');
SELECT cfrec_refresh_users(NULL);
SELECT cfrec_refresh_users('live', ARRAY[1, NULL]::bigint[]);
SELECT cfrec_refresh_items('live', ARRAY[1, NULL]::bigint[]);
SELECT cfrec_refresh_items('nope');
