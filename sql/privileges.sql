-- Functions run with the caller's privileges: no SELECT on the source, no training.
\set VERBOSITY terse
SET client_min_messages = warning;
CREATE ROLE regress_cfrec_trainer;
CREATE TABLE secret_ratings AS SELECT * FROM ratings;
CREATE INDEX ON secret_ratings (user_id);
GRANT cfrec_trainer TO regress_cfrec_trainer;
SET ROLE regress_cfrec_trainer;
SELECT cfrec_train('secret_ratings', model => 'stolen', iterations => 1);
RESET ROLE;
GRANT SELECT ON secret_ratings TO regress_cfrec_trainer;
CREATE TABLE regress_victim (x int);
SET ROLE regress_cfrec_trainer;
SELECT model, users FROM cfrec_train('secret_ratings', model => 'granted', iterations => 1);
SELECT trained_by FROM cfrec_models WHERE model = 'granted';
-- A trainer cannot write cfrec's tables row by row: only cfrec's functions do.
UPDATE cfrec_model SET source = 'x' WHERE name = 'granted';
DELETE FROM cfrec_user_factors WHERE model = 'granted';
INSERT INTO cfrec_training_log (model, operation, started_at, seconds, outcome, run_by)
VALUES ('granted', 'train', '2099-01-01', 0, 'error', 'regress_cfrec_trainer');
SELECT nextval('cfrec_model_version_seq');
RESET ROLE;
-- Nor would a doctored row make others run SQL: a planted source name is
-- parsed as a name, never pasted into a query.
UPDATE cfrec_model SET source = 'public.secret_ratings WHERE false; DROP TABLE regress_victim; --'
WHERE name = 'granted';
SELECT count(*) FROM cfrec_recommend(1, 3, model => 'granted');
SELECT to_regclass('regress_victim') IS NOT NULL AS victim_still_there;
UPDATE cfrec_model SET source = 'public.secret_ratings' WHERE name = 'granted';
-- Out of cfrec_trainer, a role can serve but not train.
REVOKE cfrec_trainer FROM regress_cfrec_trainer;
SET ROLE regress_cfrec_trainer;
SELECT count(*) FROM cfrec_recommend(1, 3, model => 'granted');
SELECT cfrec_train('secret_ratings', model => 'granted', iterations => 1);
RESET ROLE;
-- Serving with exclude_seen reads the source as the caller too.
REVOKE SELECT ON secret_ratings FROM regress_cfrec_trainer;
SET ROLE regress_cfrec_trainer;
SELECT count(*) FROM cfrec_recommend(1, 3, model => 'granted');
SELECT count(*) FROM cfrec_recommend(1, 3, model => 'granted', exclude_seen => false);
RESET ROLE;
-- A role that may not change models is refused before any work and leaves no
-- training-log row; an oversized argument is refused before it could fill
-- the log (issue 13, H2; sql/training_log checks the trainer's row).
CREATE ROLE regress_cfrec_nobody;
GRANT SELECT ON secret_ratings TO regress_cfrec_nobody;
SET ROLE regress_cfrec_nobody;
SELECT cfrec_train('secret_ratings', model => 'granted', iterations => 1);
SELECT * FROM cfrec_update('granted');
RESET ROLE;
GRANT cfrec_trainer TO regress_cfrec_trainer;
SET ROLE regress_cfrec_trainer;
SELECT cfrec_train('secret_ratings', model => 'granted', user_column => repeat('u', 5000000));
RESET ROLE;
SELECT pg_sleep(0.5);  -- a worker would have written by now
SELECT count(*) AS rows_by_nobody FROM cfrec_training_log WHERE run_by = 'regress_cfrec_nobody';
REVOKE cfrec_trainer FROM regress_cfrec_trainer;
DROP OWNED BY regress_cfrec_nobody;
DROP ROLE regress_cfrec_nobody;
SELECT cfrec_drop_model('granted');
-- The SQL cfrec runs on a source names pg_catalog's operators: an '=' that
-- someone defined for a domain id type is never called (issue 13, H4).
CREATE DOMAIN regress_uid AS bigint;
CREATE TABLE domain_ratings AS SELECT user_id::regress_uid AS user_id, item_id, rating FROM ratings;
CREATE INDEX ON domain_ratings (user_id);
CREATE TABLE regress_calls (n int);
CREATE FUNCTION regress_spy_eq(regress_uid, bigint) RETURNS boolean LANGUAGE plpgsql AS
$$ BEGIN INSERT INTO regress_calls VALUES (1); RETURN $1::bigint = $2; END $$;
CREATE OPERATOR public.= (LEFTARG = regress_uid, RIGHTARG = bigint, FUNCTION = regress_spy_eq);
SELECT users FROM cfrec_train('domain_ratings', model => 'domain', iterations => 1);
SELECT count(*) FROM cfrec_recommend(1, 3, model => 'domain');
SELECT cfrec_refresh_users('domain', ARRAY[1, 2]);
SELECT count(*) AS spy_calls FROM regress_calls;
SELECT cfrec_drop_model('domain');
DROP OPERATOR public.= (regress_uid, bigint);
DROP FUNCTION regress_spy_eq;
DROP TABLE domain_ratings, regress_calls;
DROP DOMAIN regress_uid;
DROP TABLE regress_victim;
DROP OWNED BY regress_cfrec_trainer;
DROP ROLE regress_cfrec_trainer;
-- Models have owners (issue 13, H1 and M4). Alice trains on a view whose
-- filter calls her own function; whoever then serves, refreshes, updates,
-- evaluates or batch-recommends the model, the source is read as Alice, so
-- her function never runs as a superuser. Bob, another trainer, may not
-- change Alice's model until she grants him her role.
CREATE ROLE regress_cfrec_alice;
CREATE ROLE regress_cfrec_bob;
GRANT cfrec_trainer TO regress_cfrec_alice, regress_cfrec_bob;
CREATE SCHEMA alice AUTHORIZATION regress_cfrec_alice;
GRANT USAGE ON SCHEMA alice TO regress_cfrec_bob;
SET search_path = alice, public;
CREATE TABLE alice_ratings AS SELECT *, now() AS at FROM ratings;
ALTER TABLE alice_ratings OWNER TO regress_cfrec_alice;
GRANT SELECT ON alice_ratings TO regress_cfrec_bob;
SET ROLE regress_cfrec_alice;
CREATE TABLE alice_saw (who name, superuser boolean);
CREATE FUNCTION alice_spy() RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO alice_saw SELECT current_user, rolsuper FROM pg_roles WHERE rolname = current_user;
    RETURN true;
END $$;
CREATE VIEW alice_source AS SELECT * FROM alice_ratings WHERE alice_spy();
SELECT users FROM cfrec_train('alice_source', model => 'alice', iterations => 1, watermark_column => 'at');
SELECT owner, trained_by FROM cfrec_models WHERE model = 'alice';
TRUNCATE alice_saw;
RESET ROLE;
-- A superuser serves, refreshes, updates, evaluates, batch-recommends and
-- counts recent rows.
SELECT count(*) FROM cfrec_recommend(1, 3, model => 'alice');
SELECT cfrec_refresh_users('alice', ARRAY[1, 2]);
INSERT INTO alice_ratings VALUES (1, 1, 5, now() + interval '1 hour');
SELECT refreshed_users FROM cfrec_update('alice');
SELECT count(*) > 0 AS evaluated FROM cfrec_evaluate('alice', 'ratings');
SELECT count(*) FROM cfrec_recommend_all('alice', 2, users => ARRAY[1, 2]::bigint[]);
SELECT count(*) FROM cfrec_popular(3, 'alice', since => '1 day');
-- Retraining someone else's model reads its source as the owner too.
SELECT users FROM cfrec_train('alice_source', model => 'alice', iterations => 1, watermark_column => 'at');
SELECT owner, trained_by FROM cfrec_models WHERE model = 'alice';
SELECT who, superuser, count(*) > 0 AS called FROM alice_saw GROUP BY 1, 2;
-- Without a grant Bob may neither read Alice's model (issue 13, M2) nor
-- change it, through cfrec's functions or by writing its tables directly.
SET ROLE regress_cfrec_bob;
SELECT count(*) FROM cfrec_recommend(1, 3, model => 'alice', exclude_seen => false);
SELECT count(*) FROM cfrec_similar_items(1, 3, model => 'alice');
SELECT * FROM cfrec_online_metrics('alice');
SELECT count(*) AS factor_rows FROM cfrec_item_factors WHERE model = 'alice';
SELECT count(*) AS log_rows FROM cfrec_training_log WHERE model = 'alice';
SELECT model, last_outcome FROM cfrec_model_status WHERE model = 'alice';
SELECT model, owner, readers FROM cfrec_models WHERE model = 'alice';
SELECT cfrec_train('alice_ratings', model => 'alice', iterations => 1);
SELECT cfrec_refresh_users('alice', ARRAY[1]);
SELECT * FROM cfrec_update('alice');
SELECT cfrec_drop_model('alice');
SELECT cfrec_grant('alice', 'regress_cfrec_bob');
WITH changed AS (UPDATE cfrec_item_factors SET bias = 0 WHERE model = 'alice' RETURNING 1)
SELECT count(*) AS factor_rows_changed FROM changed;
WITH changed AS (UPDATE cfrec_model SET users = 0 WHERE name = 'alice' RETURNING 1)
SELECT count(*) AS catalog_rows_changed FROM changed;
WITH dropped AS (DELETE FROM cfrec_model WHERE name = 'alice' RETURNING 1)
SELECT count(*) AS catalog_rows_dropped FROM dropped;
INSERT INTO cfrec_training_log (model, operation, started_at, seconds, outcome, run_by)
VALUES ('alice', 'train', now(), 0, 'error', current_user);
INSERT INTO cfrec_training_log (model, operation, started_at, seconds, outcome, run_by)
VALUES ('bobs', 'train', now(), 0, 'error', 'regress_cfrec_alice');
RESET ROLE;
-- Alice grants Bob reading: he serves the model and sees its rows, but
-- still may not change it. Her revoke takes effect on his next call, though
-- his session has the model cached.
SET ROLE regress_cfrec_alice;
SELECT cfrec_grant('alice', 'regress_cfrec_bob');
SELECT cfrec_grant('alice', 'regress_cfrec_bob');  -- granting twice is harmless
SELECT cfrec_grant('alice', 'regress_cfrec_nobody');
SELECT cfrec_grant('no_such_model', 'regress_cfrec_bob');
RESET ROLE;
SET ROLE regress_cfrec_bob;
SELECT count(*) FROM cfrec_recommend(1, 3, model => 'alice', exclude_seen => false);
SELECT count(*) > 0 AS factor_rows FROM cfrec_item_factors WHERE model = 'alice';
SELECT count(*) > 0 AS log_rows FROM cfrec_training_log WHERE model = 'alice';
SELECT model, last_outcome FROM cfrec_model_status WHERE model = 'alice';
SELECT cfrec_refresh_users('alice', ARRAY[1]);
SELECT cfrec_revoke('alice', 'regress_cfrec_bob');
RESET ROLE;
SET ROLE regress_cfrec_alice;
SELECT cfrec_revoke('alice', 'regress_cfrec_bob');
RESET ROLE;
SET ROLE regress_cfrec_bob;
SELECT count(*) FROM cfrec_recommend(1, 3, model => 'alice', exclude_seen => false);
RESET ROLE;
-- PUBLIC: every role may read.
SET ROLE regress_cfrec_alice;
SELECT cfrec_grant('alice', 'PUBLIC');
SELECT readers FROM cfrec_models WHERE model = 'alice';
RESET ROLE;
SET ROLE regress_cfrec_bob;
SELECT count(*) FROM cfrec_recommend(1, 3, model => 'alice', exclude_seen => false);
RESET ROLE;
SET ROLE regress_cfrec_alice;
SELECT cfrec_revoke('alice', 'public');
SELECT readers FROM cfrec_models WHERE model = 'alice';
RESET ROLE;
-- Once Alice grants him her role, he may.
GRANT regress_cfrec_alice TO regress_cfrec_bob;
SET ROLE regress_cfrec_bob;
SELECT cfrec_refresh_users('alice', ARRAY[1]);
SELECT cfrec_drop_model('alice');
RESET ROLE;
DROP SCHEMA alice CASCADE;
RESET search_path;
DROP OWNED BY regress_cfrec_alice;
DROP OWNED BY regress_cfrec_bob;
DROP ROLE regress_cfrec_bob;
DROP ROLE regress_cfrec_alice;

-- Owners and readers are role OIDs: a role dropped and created again under
-- the same name owns and reads nothing of the old one's.
CREATE ROLE regress_cfrec_phoenix;
CREATE ROLE regress_cfrec_phoenix_reader;
GRANT cfrec_trainer TO regress_cfrec_phoenix;
GRANT SELECT ON ratings TO regress_cfrec_phoenix;
SET ROLE regress_cfrec_phoenix;
SELECT users FROM cfrec_train('ratings', model => 'phoenix', factors => 3, iterations => 1);
SELECT cfrec_grant('phoenix', 'regress_cfrec_phoenix_reader');
RESET ROLE;
DROP OWNED BY regress_cfrec_phoenix;
DROP ROLE regress_cfrec_phoenix;
DROP ROLE regress_cfrec_phoenix_reader;
CREATE ROLE regress_cfrec_phoenix;
CREATE ROLE regress_cfrec_phoenix_reader;
GRANT cfrec_trainer TO regress_cfrec_phoenix;
SELECT owner::text ~ '^[0-9]+$' AS owner_shown_by_oid, cardinality(readers) AS readers
FROM cfrec_models WHERE model = 'phoenix';
SET ROLE regress_cfrec_phoenix;
SELECT count(*) FROM cfrec_recommend(1, 3, model => 'phoenix');
SELECT cfrec_drop_model('phoenix');
SELECT cfrec_train('ratings', model => 'phoenix', factors => 3, iterations => 1);
RESET ROLE;
SET ROLE regress_cfrec_phoenix_reader;
SELECT count(*) FROM cfrec_recommend(1, 3, model => 'phoenix');
RESET ROLE;
SELECT cfrec_drop_model('phoenix');  -- a superuser may
DROP ROLE regress_cfrec_phoenix, regress_cfrec_phoenix_reader;

-- cfrec_tune's scratch models take a random name: another trainer's model
-- named as the scratch model once was blocks nobody.
CREATE ROLE regress_cfrec_squatter;
GRANT cfrec_trainer TO regress_cfrec_squatter;
GRANT SELECT ON ratings TO regress_cfrec_squatter;
SET ROLE regress_cfrec_squatter;
SELECT users FROM cfrec_train('ratings', model => 'cfrec_tune:victim', factors => 2, iterations => 1);
RESET ROLE;
SELECT count(*) FROM cfrec_tune('ratings', 'victim', '{"factors": [2]}', folds => 2);
SELECT model FROM cfrec_models WHERE model LIKE 'cfrec_tune:%' ORDER BY 1;
SELECT cfrec_drop_model('victim'), cfrec_drop_model('cfrec_tune:victim');
DROP OWNED BY regress_cfrec_squatter;
DROP ROLE regress_cfrec_squatter;
