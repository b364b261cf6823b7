-- cfrec_recommend_all: the same answers as cfrec_recommend, for every user
-- or the given ones, as rows or into a table.
\set VERBOSITY terse
SET client_min_messages = warning;
SELECT users FROM cfrec_train('ratings', model => 'batch', factors => 4, iterations => 5);
SELECT count(*) AS rows, count(DISTINCT user_id) AS users, min(rank), max(rank)
FROM cfrec_recommend_all('batch', 5);
-- Every user's list equals cfrec_recommend's, in order.
SELECT bool_and(same) AS all_equal FROM (
    SELECT (SELECT array_agg(item_id ORDER BY rank) FROM cfrec_recommend_all('batch', 5) a
            WHERE a.user_id = u.user_id) =
           (SELECT array_agg(item_id) FROM cfrec_recommend(u.user_id, 5, model => 'batch')) AS same
    FROM (SELECT DISTINCT user_id FROM ratings) u) s;
-- Given users; one unknown to the model is left out (a NOTICE says so), so a
-- long list of unknown ids costs nothing; duplicates count once.
SELECT user_id, count(*) FROM cfrec_recommend_all('batch', 3, users => ARRAY[2, 1, 2, 99999]::bigint[])
GROUP BY user_id ORDER BY user_id;
-- 300,000 unknown ids: nothing written, nothing returned.
SET client_min_messages = notice;
SELECT count(*) AS rows_for_unknown
FROM cfrec_recommend_all('batch', 10, users => ARRAY(SELECT g FROM generate_series(1000001, 1300000) g));
SET client_min_messages = warning;
-- Without excluding seen items, every item is ranked.
SELECT count(*) FROM cfrec_recommend_all('batch', 100, users => ARRAY[1]::bigint[], exclude_seen => false);
-- Into a table: created when missing, appended to when present.
RESET client_min_messages;
SELECT * FROM cfrec_recommend_all('batch', 2, target => 'batch_out');
SELECT * FROM cfrec_recommend_all('batch', 2, target => 'batch_out', users => ARRAY[1]::bigint[]);
-- A table another role planted under the target's name is never written to,
-- superuser or not: its triggers would run as the caller (issue 13, H4).
CREATE ROLE regress_cfrec_planter;
CREATE TABLE planted_recs (user_id bigint, rank integer, item_id bigint, score real);
ALTER TABLE planted_recs OWNER TO regress_cfrec_planter;
SELECT * FROM cfrec_recommend_all('batch', 2, target => 'planted_recs');
CREATE VIEW batch_view AS SELECT * FROM batch_out;
SELECT * FROM cfrec_recommend_all('batch', 2, target => 'batch_view');
SELECT count(*) AS untouched FROM planted_recs;
DROP VIEW batch_view;
DROP TABLE planted_recs;
DROP ROLE regress_cfrec_planter;
SELECT count(*), count(DISTINCT user_id) FROM batch_out;
\d batch_out
-- Bad calls.
SELECT * FROM cfrec_recommend_all('nope');
SELECT * FROM cfrec_recommend_all('batch', 0);
SELECT * FROM cfrec_recommend_all('batch', 5000);
SELECT * FROM cfrec_recommend_all(NULL);
SELECT * FROM cfrec_recommend_all('batch', users => ARRAY[1, NULL]::bigint[]);
SELECT * FROM cfrec_recommend_all('batch', exclude_seen => NULL);
