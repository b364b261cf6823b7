-- cfrec_explain: a score split into what each of the user's items adds,
-- the parts summing to the score cfrec_recommend gives the item.
\set VERBOSITY terse
SET client_min_messages = warning;
CREATE TABLE why AS SELECT * FROM ratings;
CREATE INDEX ON why (user_id);
CREATE TABLE why_clicks AS SELECT user_id, item_id FROM ratings WHERE rating >= 4;
SELECT count(*) > 0 AS trained FROM (
    SELECT cfrec_train('why', model => 'why_als', factors => 6, iterations => 10)
    UNION ALL SELECT cfrec_train('why', model => 'why_svd', algorithm => 'svd', factors => 6)
    UNION ALL SELECT cfrec_train('why', model => 'why_svdpp', algorithm => 'svdpp', factors => 6)
    UNION ALL SELECT cfrec_train('why_clicks', model => 'why_ials', feedback => 'implicit',
                                 rating_column => NULL, factors => 6, iterations => 10)
    UNION ALL SELECT cfrec_train('why_clicks', model => 'why_gf', algorithm => 'graph_filter',
                                 rating_column => NULL, factors => 8)) t;
-- What cfrec_recommend ranks the item at.
CREATE FUNCTION recommended(m text, u bigint, i bigint) RETURNS real LANGUAGE sql AS
$$ SELECT score FROM cfrec_recommend(u, 1, m, exclude_seen => false, include => ARRAY[i]) $$;
CREATE FUNCTION parts(m text, u bigint, i bigint, k int DEFAULT 1000)
RETURNS TABLE (sums_up boolean, remainder real, items bigint) LANGUAGE sql AS $$
    SELECT abs(sum(contribution) - recommended(m, u, i)) < 1e-4,
           sum(contribution) FILTER (WHERE kind = 'remainder'),
           count(*) FILTER (WHERE kind = 'item')
    FROM cfrec_explain(u, i, m, k) $$;

-- Every algorithm: the parts sum to the score. The graph filter's user is
-- the sum of their items' vectors, so its items explain everything.
SELECT m, p.sums_up, p.items = (SELECT count(*) FROM why_clicks WHERE user_id = 3) AS every_item,
       abs(p.remainder) < 1e-4 AS exact
FROM unnest(ARRAY['why_gf']) m, parts(m, 3, 25) p;
SELECT m, p.sums_up, p.items = (SELECT count(*) FROM why WHERE user_id = 3) AS every_item
FROM unnest(ARRAY['why_als', 'why_svd', 'why_svdpp']) m, parts(m, 3, 25) p;
SELECT p.sums_up, p.items = (SELECT count(*) FROM why_clicks WHERE user_id = 3) AS every_item
FROM parts('why_ials', 3, 25) p;
-- ALS straight after training: the user's vector is one half-step behind
-- the items', and the remainder shows it. After a refresh the vector is the
-- solve over the user's items, and they explain the whole score.
SELECT cfrec_refresh_users(m, ARRAY[3, 40]::bigint[]) FROM unnest(ARRAY['why_als', 'why_ials']) m;
SELECT m, u, i, p.sums_up, abs(p.remainder) < 1e-4 AS exact
FROM unnest(ARRAY['why_als', 'why_ials']) m, unnest(ARRAY[3, 40]) u, unnest(ARRAY[5, 25]) i,
     parts(m, u, i) p ORDER BY 1, 2, 3;
-- An explicit model's score also holds its global mean and the item's bias.
SELECT kind, count(*) FROM cfrec_explain(3, 25, 'why_als') GROUP BY kind ORDER BY kind;
-- A user of the first group owes a first-group film's score mostly to
-- first-group films; k limits the items shown, the rest come as one row.
SELECT bool_and(item_id <= 20) AS own_group, count(*) AS shown
FROM (SELECT * FROM cfrec_explain(3, 7, 'why_ials', k => 3) WHERE kind = 'item') t;
SELECT kind, item_id IS NULL AS no_item FROM cfrec_explain(3, 7, 'why_ials', k => 3);
SELECT p.sums_up FROM parts('why_ials', 3, 7, 3) p;
-- Contributions come largest first.
SELECT bool_and(c >= n) AS descending FROM (
    SELECT contribution AS c, lead(contribution) OVER (ORDER BY o) AS n
    FROM cfrec_explain(40, 30, 'why_als') WITH ORDINALITY e(kind, item_id, contribution, feature, o)
    WHERE kind = 'item') t WHERE n IS NOT NULL;
-- Rows added since the last refresh count at once (the remainder grows).
INSERT INTO why VALUES (3, 33, 5);
SELECT count(*) FILTER (WHERE item_id = 33) AS new_item_shown, abs(sum(contribution) FILTER (WHERE kind = 'remainder')) > 1e-4 AS remainder
FROM cfrec_explain(3, 25, 'why_als', k => 1000);
SELECT p.sums_up FROM parts('why_als', 3, 25) p;
-- A user whose rows are all gone: the remainder is the whole score.
DELETE FROM why WHERE user_id = 40;
SELECT kind FROM cfrec_explain(40, 25, 'why_als');

-- Errors.
SELECT * FROM cfrec_explain(9999, 5, 'why_als');
SELECT * FROM cfrec_explain(3, 9999, 'why_als');
SELECT * FROM cfrec_explain(3, 9999, 'why_gf');
SELECT * FROM cfrec_explain(3, 5, 'no_such_model');
SELECT * FROM cfrec_explain(3, 5, 'why_als', k => 0);
SELECT * FROM cfrec_explain(NULL, 5, 'why_als');
SELECT * FROM cfrec_explain(3, NULL, 'why_als');
UPDATE why SET rating = 'NaN' WHERE user_id = 3 AND item_id = 33;
SELECT * FROM cfrec_explain(3, 25, 'why_als');
UPDATE why SET rating = 5 WHERE user_id = 3 AND item_id = 33;
-- Explaining needs the right to read the model, and, as it shows the user's
-- rows, to read them in the source.
CREATE ROLE why_stranger;
SET ROLE why_stranger;
SELECT * FROM cfrec_explain(3, 25, 'why_als');
RESET ROLE;
SELECT cfrec_grant('why_als', 'why_stranger');
SET ROLE why_stranger;
SELECT * FROM cfrec_explain(3, 25, 'why_als');
RESET ROLE;
GRANT SELECT (user_id, item_id, rating) ON why TO why_stranger;
SET ROLE why_stranger;
SELECT count(*) > 0 AS explained FROM cfrec_explain(3, 25, 'why_als');
RESET ROLE;
SELECT cfrec_revoke('why_als', 'why_stranger');
REVOKE ALL ON why FROM why_stranger;
DROP ROLE why_stranger;

SELECT count(*) FROM (SELECT cfrec_drop_model(m) FROM unnest(ARRAY['why_als', 'why_svd', 'why_svdpp',
    'why_ials', 'why_gf']) m) t;
DROP FUNCTION parts(text, bigint, bigint, int);
DROP FUNCTION recommended(text, bigint, bigint);
DROP TABLE why, why_clicks;
