-- exclude_seen reads what the user has in the source now. A plain table with
-- a btree index on the user column is read straight from the index; any
-- other source through a query. Both must exclude exactly the same items,
-- and the direct read must never bypass what the query would apply.
\set VERBOSITY terse
SET client_min_messages = warning;
-- Two identical sources: one with a btree index (read directly), one with
-- only a hash index (read by a query). smallint users, bigint items.
CREATE TABLE seen_btree (user_id smallint, item_id bigint);
INSERT INTO seen_btree SELECT u, i FROM generate_series(1, 40) u, generate_series(1, 30) i
WHERE (u * 7 + i * 3) % 4 = 0;
CREATE TABLE seen_hash AS SELECT * FROM seen_btree;
CREATE INDEX ON seen_btree (user_id);
CREATE INDEX ON seen_hash USING hash (user_id);
SELECT 1 FROM cfrec_train('seen_btree', 'seen_b', feedback => 'implicit', rating_column => NULL, factors => 4, iterations => 5);
SELECT 1 FROM cfrec_train('seen_hash', 'seen_h', feedback => 'implicit', rating_column => NULL, factors => 4, iterations => 5);
-- Rows added after training are excluded too, twice over (a repeated row).
INSERT INTO seen_btree VALUES (1, 2), (1, 2), (1, 5), (2, 7);
INSERT INTO seen_hash VALUES (1, 2), (1, 2), (1, 5), (2, 7);
SELECT u, (SELECT array_agg(item_id ORDER BY score DESC, item_id) FROM cfrec_recommend(u, 30, 'seen_b'))
        = (SELECT array_agg(item_id ORDER BY score DESC, item_id) FROM cfrec_recommend(u, 30, 'seen_h')) AS same,
       (SELECT count(*) FROM cfrec_recommend(u, 30, 'seen_b') r
        WHERE EXISTS (SELECT FROM seen_btree s WHERE s.user_id = u AND s.item_id = r.item_id)) AS seen_recommended
FROM (VALUES (1), (2), (3), (40)) t(u) ORDER BY u;
-- A row deleted in this transaction is no longer excluded, in both paths:
-- both read under the statement's snapshot.
BEGIN;
DELETE FROM seen_btree WHERE user_id = 1 AND item_id = 5;
DELETE FROM seen_hash WHERE user_id = 1 AND item_id = 5;
SELECT (SELECT array_agg(item_id ORDER BY score DESC, item_id) FROM cfrec_recommend(1, 30, 'seen_b'))
     = (SELECT array_agg(item_id ORDER BY score DESC, item_id) FROM cfrec_recommend(1, 30, 'seen_h')) AS same,
       EXISTS (SELECT FROM cfrec_recommend(1, 30, 'seen_b') WHERE item_id = 5) AS deleted_is_recommended;
ROLLBACK;
-- Inheritance: the query reads the children too, so the direct read steps aside.
CREATE TABLE seen_child () INHERITS (seen_btree);
INSERT INTO seen_child VALUES (3, 4);
SELECT EXISTS (SELECT FROM cfrec_recommend(3, 30, 'seen_b') WHERE item_id = 4) AS child_row_is_recommended;
DROP TABLE seen_child;
-- Row-level security on the source: seen items are read as the model's
-- owner, under the owner's policies (forced here, so they bind the table's
-- owner too); the direct read steps aside and the query applies them.
CREATE ROLE regress_cfrec_seen;
GRANT cfrec_trainer TO regress_cfrec_seen;
ALTER TABLE seen_btree OWNER TO regress_cfrec_seen;
SET ROLE regress_cfrec_seen;
SELECT 1 FROM cfrec_train('seen_btree', 'seen_r', feedback => 'implicit', rating_column => NULL, factors => 4, iterations => 5);
ALTER TABLE seen_btree ENABLE ROW LEVEL SECURITY;
ALTER TABLE seen_btree FORCE ROW LEVEL SECURITY;
CREATE POLICY everything_else ON seen_btree USING (item_id <> 2);
RESET ROLE;
SELECT EXISTS (SELECT FROM cfrec_recommend(1, 30, 'seen_r') WHERE item_id = 2) AS hidden_item_is_recommended,
       EXISTS (SELECT FROM cfrec_recommend(1, 30, 'seen_r') WHERE item_id = 5) AS visible_item_is_recommended;
-- Without the policy the direct read serves again: item 2 is excluded.
ALTER TABLE seen_btree DISABLE ROW LEVEL SECURITY;
SELECT EXISTS (SELECT FROM cfrec_recommend(1, 30, 'seen_r') WHERE item_id = 2) AS hidden_item_is_recommended;
SELECT cfrec_drop_model('seen_b'), cfrec_drop_model('seen_h'), cfrec_drop_model('seen_r');
DROP TABLE seen_btree, seen_hash;
DROP OWNED BY regress_cfrec_seen;
DROP ROLE regress_cfrec_seen;
