-- cfrec_update: users and items with rows above the model's watermark are
-- refreshed, the watermark moves; a second update changes nothing, and the
-- watermark lives in the catalog, so a new session (or a restart) keeps it.
\set VERBOSITY terse
SET client_min_messages = warning;
CREATE TABLE stream (user_id int, item_id int, rating real, seq bigint);
INSERT INTO stream SELECT user_id, item_id, rating, row_number() OVER (ORDER BY user_id, item_id)
FROM ratings;
CREATE INDEX ON stream (user_id, item_id);
SELECT users, items FROM cfrec_train('stream', model => 'stream', factors => 4, iterations => 10,
                                     watermark_column => 'seq');
SELECT watermark_column, watermark, updates FROM cfrec_models WHERE model = 'stream';
-- Nothing new yet.
SELECT * FROM cfrec_update('stream');
-- A new user and a new rating by user 2 arrive.
INSERT INTO stream VALUES (7000, 23, 5, 2001), (7000, 31, 5, 2002), (7000, 37, 5, 2003),
                          (7000, 3, 1, 2004), (2, 40, 5, 2005);
SELECT * FROM cfrec_update('stream');
SELECT users, watermark, updates, last_update_users, last_update_items
FROM cfrec_models WHERE model = 'stream';
SELECT bool_and(item_id > 20) AS their_group FROM cfrec_recommend(7000, 5, model => 'stream');
-- Applied twice, the second changes nothing.
CREATE TABLE factors_before AS SELECT id, factors FROM cfrec_user_factors WHERE model = 'stream';
SELECT * FROM cfrec_update('stream');
SELECT count(*) AS changed FROM cfrec_user_factors f JOIN factors_before b USING (id)
WHERE f.model = 'stream' AND f.factors <> b.factors;
-- A new session sees the same watermark and still finds nothing new.
\c
SET client_min_messages = warning;
SELECT * FROM cfrec_update('stream');
-- Timestamps work as watermarks too.
CREATE TABLE timed AS SELECT user_id, item_id, rating,
       timestamptz '2024-01-01 00:00+00' + (user_id * 100 + item_id) * interval '1 minute' AS at
FROM ratings;
SELECT users FROM cfrec_train('timed', model => 'timed', factors => 4, iterations => 3,
                              watermark_column => 'at');
INSERT INTO timed VALUES (8000, 23, 5, timestamptz '2030-01-01 00:00+00');
-- The stored watermark reads back the same under another DateStyle and time zone.
SET DateStyle = 'SQL, DMY';
SET TimeZone = 'Asia/Tokyo';
SELECT refreshed_users, refreshed_items, watermark FROM cfrec_update('timed');
SELECT refreshed_users, refreshed_items FROM cfrec_update('timed');
RESET DateStyle;
RESET TimeZone;
-- With a watermark, cfrec_refresh_users(model) without ids recomputes only
-- the users with rows above it (the watermark itself stays for cfrec_update).
INSERT INTO stream VALUES (7100, 23, 5, 3001), (7101, 31, 5, 3002), (7101, 37, 5, 3003);
SELECT cfrec_refresh_users('stream') AS refreshed;
SELECT cfrec_refresh_items('stream') AS refreshed;
SELECT refreshed_users, refreshed_items FROM cfrec_update('stream');
-- A retrain starts the record afresh.
SELECT users FROM cfrec_train('stream', model => 'stream', factors => 4, iterations => 2,
                              watermark_column => 'seq');
SELECT watermark, updates, updated_at IS NULL AS never_updated FROM cfrec_models WHERE model = 'stream';
RESET client_min_messages;
-- Bad calls.
SELECT * FROM cfrec_update('default');
SELECT * FROM cfrec_update('nope');
SELECT cfrec_train('stream', model => 'w', watermark_column => 'rating_at');
SELECT cfrec_train('timed', model => 'w', watermark_column => 'rating', iterations => 1);
