-- statement_timeout (the same path as Ctrl-C) stops a long training promptly
-- and leaves the previous model of that name as it was.
\set VERBOSITY terse
SET client_min_messages = warning;
CREATE TABLE big_ratings AS
SELECT u AS user_id, (u * 37 + j * 101) % 3000 AS item_id, 1 + (u + j) % 5 AS rating
FROM generate_series(1, 2000) u, generate_series(1, 50) j;
CREATE INDEX ON big_ratings (user_id);
SELECT users FROM cfrec_train('big_ratings', model => 'long', factors => 2, iterations => 1);
SELECT version AS v FROM cfrec_models WHERE model = 'long' \gset
-- Far more work than a second: it must be stopped mid-training.
CREATE FUNCTION train_until_stopped(OUT stopped boolean, OUT seconds float8)
LANGUAGE plpgsql AS $$
DECLARE t0 timestamptz := clock_timestamp();
BEGIN
    BEGIN
        PERFORM cfrec_train('big_ratings', model => 'long', factors => 128, iterations => 1000);
        stopped := false;
    EXCEPTION WHEN query_canceled THEN
        stopped := true;
    END;
    seconds := extract(epoch FROM clock_timestamp() - t0);
END $$;
SET statement_timeout = '1s';
SELECT stopped, seconds < 5 AS promptly FROM train_until_stopped();
RESET statement_timeout;
SELECT version = :v AS untouched, factors FROM cfrec_models WHERE model = 'long';
SELECT count(*) FROM cfrec_recommend(1, 3, model => 'long');
-- The cancelled training is in cfrec_training_log. A failed call's row is
-- written by a background worker once the caller's transaction has rolled
-- back, so wait for it (sql/training_log uses this helper too).
CREATE FUNCTION wait_for_log(m text, wanted text) RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN
    FOR i IN 1 .. 200 LOOP
        IF EXISTS (SELECT 1 FROM cfrec_training_log WHERE model = m AND outcome = wanted) THEN
            RETURN true;
        END IF;
        PERFORM pg_sleep(0.05);
    END LOOP;
    RETURN false;
END $$;
SELECT wait_for_log('long', 'cancelled');
SELECT outcome, sqlstate, error, rows_read, jsonb_array_length(iterations) > 0 AS some_iterations,
       seconds < 5 AS promptly
FROM cfrec_training_log WHERE model = 'long' AND outcome = 'cancelled';
