-- Every call looks its model up in cfrec_model under the caller's snapshot.
-- While the catalog's row-level security is as the extension creates it
-- (every row public), the row is read straight through the primary key; any
-- other policy, or a caller without SELECT on the catalog, sends the lookup
-- through a query, which applies the rules.
\set VERBOSITY terse
SET client_min_messages = warning;
CREATE TABLE lookup_src AS
SELECT u AS user_id, i AS item_id FROM generate_series(1, 20) u, generate_series(1, 15) i
WHERE (u + i) % 3 = 0;
SELECT 1 FROM cfrec_train('lookup_src', 'lookup_a', feedback => 'implicit', rating_column => NULL, factors => 4, iterations => 3);
SELECT 1 FROM cfrec_train('lookup_src', 'lookup_b', feedback => 'implicit', rating_column => NULL, factors => 4, iterations => 3);
CREATE ROLE regress_cfrec_lookup;
SELECT cfrec_grant('lookup_a', 'regress_cfrec_lookup'), cfrec_grant('lookup_b', 'regress_cfrec_lookup');
SET ROLE regress_cfrec_lookup;
SELECT count(*) AS served FROM cfrec_recommend(1, 5, 'lookup_b', exclude_seen => false);
SELECT cfrec_predict(1, 3, 'no_such_model');
RESET ROLE;
-- A restrictive policy that hides lookup_b's row from the role: the model is
-- then unknown to it, and lookup_a is served as before.
BEGIN;
CREATE POLICY regress_hide_b ON cfrec_model AS RESTRICTIVE FOR SELECT TO regress_cfrec_lookup
    USING (name <> 'lookup_b');
SET ROLE regress_cfrec_lookup;
SELECT count(*) AS served FROM cfrec_recommend(1, 5, 'lookup_a', exclude_seen => false);
SELECT count(*) AS served FROM cfrec_recommend(1, 5, 'lookup_b', exclude_seen => false);
ROLLBACK;
-- A permissive policy for another role only, as the only one for SELECT: no row.
BEGIN;
ALTER POLICY cfrec_model_listed ON cfrec_model TO CURRENT_USER;
SET ROLE regress_cfrec_lookup;
SELECT count(*) AS served FROM cfrec_recommend(1, 5, 'lookup_a', exclude_seen => false);
ROLLBACK;
-- Without SELECT on the catalog, the query refuses as it always has.
BEGIN;
REVOKE SELECT ON cfrec_model FROM PUBLIC;
SET ROLE regress_cfrec_lookup;
SELECT cfrec_predict(1, 3, 'lookup_a');
ROLLBACK;
-- A model trained, or dropped, earlier in the same transaction is seen.
BEGIN;
SELECT 1 FROM cfrec_train('lookup_src', 'lookup_c', feedback => 'implicit', rating_column => NULL, factors => 4, iterations => 3);
SELECT count(*) AS served FROM cfrec_recommend(1, 5, 'lookup_c', exclude_seen => false);
SELECT cfrec_drop_model('lookup_a');
SELECT cfrec_predict(1, 3, 'lookup_a');
ROLLBACK;
SELECT count(*) AS served FROM cfrec_recommend(1, 5, 'lookup_a', exclude_seen => false);
SELECT cfrec_predict(1, 3, 'lookup_c');
SELECT cfrec_drop_model('lookup_a'), cfrec_drop_model('lookup_b');
DROP TABLE lookup_src;
DROP ROLE regress_cfrec_lookup;
