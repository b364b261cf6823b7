-- cfrec_training_log records every training and update with its outcome;
-- cfrec_model_status shows each model's size, age and last run.
\set VERBOSITY terse
SET client_min_messages = warning;
CREATE TABLE log_ratings AS
SELECT u AS user_id, i AS item_id, (1 + (u * i) % 5)::real AS rating, now() - interval '1 day' AS at
FROM generate_series(1, 30) u, generate_series(1, 20) i WHERE (u + i) % 3 = 0;
-- wait_for_log(model, outcome) comes from sql/cancel, which runs first.

-- A success: one row, with the iterations' losses, ending at the model's loss.
SELECT users FROM cfrec_train('log_ratings', model => 'logged', factors => 3,
                              watermark_column => 'at');
SELECT l.operation, l.outcome, l.rows_read, jsonb_array_length(l.iterations) AS iterations,
       l.iterations -> 0 ?& ARRAY['iteration', 'loss', 'rmse', 'seconds'] AS step_fields,
       abs(l.final_loss - m.loss) < 1e-6 * m.loss AS final_loss_is_models, l.peak_memory_bytes > 0 AS has_peak,
       l.run_by = current_user AS run_by_me, l.parameters ->> 'factors' AS factors,
       l.error IS NULL AS no_error
FROM cfrec_training_log l JOIN cfrec_models m USING (model) WHERE l.model = 'logged';

-- A rolled-back training leaves no row: the log commits with the model.
BEGIN;
SELECT users FROM cfrec_train('log_ratings', model => 'rolled_back', factors => 3);
ROLLBACK;
SELECT count(*) FROM cfrec_training_log WHERE model = 'rolled_back';

-- An error is logged although its transaction rolls back (and whatever the
-- session's DateStyle: the worker that writes the row has its own).
INSERT INTO log_ratings VALUES (1, 1, 'NaN', now());
SET DateStyle = 'SQL, DMY';
SELECT users FROM cfrec_train('log_ratings', model => 'logged', factors => 3);
RESET DateStyle;
SELECT wait_for_log('logged', 'error');
SELECT outcome, sqlstate, error, iterations, abs(extract(epoch FROM now() - started_at)) < 600 AS started_now
FROM cfrec_training_log WHERE model = 'logged' AND outcome = 'error';
DELETE FROM log_ratings WHERE rating = 'NaN';

-- A trainer's failure is written as the trainer (the worker takes the
-- caller's privileges), with its oversized argument refused before any work.
CREATE ROLE regress_cfrec_logger;
GRANT SELECT ON log_ratings TO regress_cfrec_logger;
GRANT cfrec_trainer TO regress_cfrec_logger;
SET ROLE regress_cfrec_logger;
SELECT cfrec_train('log_ratings', model => 'logged_by', user_column => repeat('u', 5000000));
RESET ROLE;
SELECT wait_for_log('logged_by', 'error');
SELECT run_by, sqlstate, error FROM cfrec_training_log WHERE model = 'logged_by';
DROP OWNED BY regress_cfrec_logger;
DROP ROLE regress_cfrec_logger;

-- Failures in a burst are each logged, though every worker slot may be busy
-- for a moment: the writer waits for one.
DO $$
BEGIN
    FOR i IN 1 .. 40 LOOP
        BEGIN
            PERFORM cfrec_train('log_ratings', model => 'burst', factors => 0);
        EXCEPTION WHEN invalid_parameter_value THEN NULL;
        END;
    END LOOP;
END $$;
DO $$
BEGIN
    FOR i IN 1 .. 300 LOOP
        EXIT WHEN (SELECT count(*) FROM cfrec_training_log WHERE model = 'burst') >= 40;
        PERFORM pg_sleep(0.1);
    END LOOP;
END $$;
SELECT count(*) AS burst_logged FROM cfrec_training_log WHERE model = 'burst';

-- Updates are logged too, with what they refreshed.
INSERT INTO log_ratings VALUES (31, 1, 5, now()), (31, 2, 4, now());
SELECT refreshed_users, refreshed_items FROM cfrec_update('logged');
SELECT operation, outcome, parameters FROM cfrec_training_log
WHERE model = 'logged' AND operation = 'update';

-- The operator's view: the last run was the update; one failure today.
SELECT model, users, items, factor_bytes, age < interval '1 hour' AS fresh, last_operation,
       last_outcome, failures_last_day
FROM cfrec_model_status WHERE model = 'logged';

-- Everyone may read the log; nobody but trainers may write it.
SELECT has_table_privilege('public', 'cfrec_training_log', 'SELECT') AS public_reads,
       has_table_privilege('public', 'cfrec_training_log', 'INSERT') AS public_writes;
SELECT cfrec_drop_model('logged');
