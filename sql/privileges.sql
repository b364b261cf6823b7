-- Functions run with the caller's privileges: no SELECT on the source, no training.
\set VERBOSITY terse
SET client_min_messages = warning;
CREATE ROLE regress_cfrec_trainer;
CREATE TABLE secret_ratings AS SELECT * FROM ratings;
CREATE INDEX ON secret_ratings (user_id);
GRANT INSERT, UPDATE, DELETE ON cfrec_model, cfrec_user_factors, cfrec_item_factors TO regress_cfrec_trainer;
GRANT INSERT ON cfrec_training_log TO regress_cfrec_trainer;
GRANT USAGE ON SEQUENCE cfrec_model_version_seq, cfrec_training_log_id_seq TO regress_cfrec_trainer;
SET ROLE regress_cfrec_trainer;
SELECT cfrec_train('secret_ratings', model => 'stolen', iterations => 1);
RESET ROLE;
GRANT SELECT ON secret_ratings TO regress_cfrec_trainer;
CREATE TABLE regress_victim (x int);
SET ROLE regress_cfrec_trainer;
SELECT model, users FROM cfrec_train('secret_ratings', model => 'granted', iterations => 1);
SELECT trained_by FROM cfrec_models WHERE model = 'granted';
-- A role that may write cfrec's tables still cannot make others run its SQL:
-- a planted source name is parsed as a name, never pasted into a query.
UPDATE cfrec_model SET source = 'public.secret_ratings WHERE false; DROP TABLE regress_victim; --'
WHERE name = 'granted';
RESET ROLE;
SELECT count(*) FROM cfrec_recommend(1, 3, model => 'granted');
SELECT to_regclass('regress_victim') IS NOT NULL AS victim_still_there;
UPDATE cfrec_model SET source = 'public.secret_ratings' WHERE name = 'granted';
-- Without write grants on cfrec's tables a role can serve but not train.
REVOKE INSERT, UPDATE, DELETE ON cfrec_model, cfrec_user_factors, cfrec_item_factors FROM regress_cfrec_trainer;
SET ROLE regress_cfrec_trainer;
SELECT count(*) FROM cfrec_recommend(1, 3, model => 'granted');
SELECT cfrec_train('secret_ratings', model => 'granted', iterations => 1);
SELECT cfrec_drop_model('granted');
RESET ROLE;
-- Serving with exclude_seen reads the source as the caller too.
REVOKE SELECT ON secret_ratings FROM regress_cfrec_trainer;
SET ROLE regress_cfrec_trainer;
SELECT count(*) FROM cfrec_recommend(1, 3, model => 'granted');
SELECT count(*) FROM cfrec_recommend(1, 3, model => 'granted', exclude_seen => false);
RESET ROLE;
SELECT cfrec_drop_model('granted');
DROP TABLE regress_victim;
DROP OWNED BY regress_cfrec_trainer;
DROP ROLE regress_cfrec_trainer;
