-- Serving caches follow refreshes by reading only the factor rows written
-- since their version; after a removal, a retrain or a rollback they reload
-- the model whole. Either way they serve what a fresh backend serves.
\set VERBOSITY terse
SET client_min_messages = warning;
SET cfrec.shared_cache_size = 0;  -- refreshes followed by this backend's own cache
CREATE TABLE follow AS SELECT * FROM ratings;
CREATE INDEX ON follow (user_id, item_id);
SELECT users FROM cfrec_train('follow', model => 'follow', factors => 4, iterations => 5);
SELECT count(*) FROM cfrec_recommend(1, 3, model => 'follow');
SELECT catch_ups FROM cfrec_cache WHERE model = 'follow' AND NOT shared;
-- A new user and a changed one: the cache reads two rows and catches up.
INSERT INTO follow VALUES (7000, 23, 5), (7000, 31, 5), (2, 40, 5);
SELECT cfrec_refresh_users('follow', ARRAY[7000, 2]::bigint[]) AS refreshed;
SELECT count(*) FROM cfrec_recommend(7000, 3, model => 'follow');
SELECT c.catch_ups, c.version = m.version AS current
FROM cfrec_cache c JOIN cfrec_models m USING (model) WHERE model = 'follow' AND NOT c.shared;
-- A new item too.
INSERT INTO follow SELECT u, 600, 5 FROM generate_series(31, 60) u;
SELECT cfrec_refresh_items('follow', ARRAY[600]::bigint[]) AS refreshed;
CREATE TABLE served AS
SELECT u AS user_id, r.item_id, r.score
FROM generate_series(1, 60) u, cfrec_recommend(u, 5, model => 'follow') r
UNION ALL SELECT 7000, r.item_id, r.score FROM cfrec_recommend(7000, 5, model => 'follow') r;
SELECT c.catch_ups, c.version = m.version AS current
FROM cfrec_cache c JOIN cfrec_models m USING (model) WHERE model = 'follow' AND NOT c.shared;
-- A fresh backend loads the model whole and serves exactly the same.
\c
SET client_min_messages = warning;
SET cfrec.shared_cache_size = 0;  -- refreshes followed by this backend's own cache
SELECT count(*) AS differences FROM (
    (SELECT * FROM served EXCEPT
     SELECT u, r.item_id, r.score FROM generate_series(1, 60) u, cfrec_recommend(u, 5, model => 'follow') r
     EXCEPT SELECT 7000, r.item_id, r.score FROM cfrec_recommend(7000, 5, model => 'follow') r)
    UNION ALL
    (SELECT u, r.item_id, r.score FROM generate_series(1, 60) u, cfrec_recommend(u, 5, model => 'follow') r
     EXCEPT SELECT * FROM served)) d;
SELECT catch_ups FROM cfrec_cache WHERE model = 'follow' AND NOT shared;
-- A refresh in a transaction that rolls back: the cache follows it, then
-- sees the catalog go back and reloads.
BEGIN;
INSERT INTO follow VALUES (7001, 5, 5);
SELECT cfrec_refresh_users('follow', ARRAY[7001]::bigint[]) AS refreshed;
SELECT count(*) FROM cfrec_recommend(7001, 3, model => 'follow');
SELECT catch_ups FROM cfrec_cache WHERE model = 'follow' AND NOT shared;
ROLLBACK;
SELECT count(*) FROM cfrec_recommend(1, 3, model => 'follow');
SELECT c.catch_ups, c.version = m.version AS current
FROM cfrec_cache c JOIN cfrec_models m USING (model) WHERE model = 'follow' AND NOT c.shared;
-- Removing a user moves base_version: the next call reloads whole.
DELETE FROM follow WHERE user_id = 7000;
SELECT cfrec_refresh_users('follow', ARRAY[7000]::bigint[]) AS refreshed;
SELECT count(*) FROM cfrec_recommend(1, 3, model => 'follow');
SELECT c.catch_ups, c.version = m.version AS current, m.users
FROM cfrec_cache c JOIN cfrec_models m USING (model) WHERE model = 'follow' AND NOT c.shared;
SELECT users = (SELECT count(*) FROM cfrec_user_factors WHERE model = 'follow') AS counted
FROM cfrec_models WHERE model = 'follow';
SELECT cfrec_drop_model('follow');
DROP TABLE follow, served;
