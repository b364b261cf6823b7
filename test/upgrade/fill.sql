-- Fills a database that has cfrec at an older version with what users keep:
-- an explicit, an implicit and a watermarked model (updated once), training-log
-- rows of every outcome, impressions and reactions. Uses only the 0.1.0 surface.
\set ON_ERROR_STOP 1
SET client_min_messages = warning;
CREATE TABLE ratings AS
SELECT u AS user_id, i AS item_id, (1 + (u * i + u) % 5)::real AS rating,
       timestamptz '2026-01-01 00:00+00' + (u * 37 + i) * interval '1 minute' AS rated_at
FROM generate_series(1, 60) u, generate_series(1, 40) i
WHERE (u + 2 * i) % 3 <> 0;
CREATE INDEX ON ratings (user_id, item_id);

SELECT users FROM cfrec_train('ratings', model => 'explicit', factors => 8, iterations => 5);
SELECT users FROM cfrec_train('ratings', model => 'implicit', rating_column => NULL,
                              feedback => 'implicit', factors => 8, iterations => 5);
SELECT users FROM cfrec_train('ratings', model => 'watermarked', factors => 8, iterations => 5,
                              watermark_column => 'rated_at');
INSERT INTO ratings
SELECT 61, i, 5, timestamptz '2026-06-01 00:00+00' + i * interval '1 second'
FROM generate_series(1, 10) i;
SELECT refreshed_users FROM cfrec_update('watermarked');

-- A failed training: its log row is written by a background worker.
\set ON_ERROR_STOP 0
SELECT cfrec_train('ratings', model => 'failed', factors => 0);
\set ON_ERROR_STOP 1
DO $$
BEGIN
    FOR i IN 1 .. 100 LOOP
        PERFORM FROM cfrec_training_log WHERE model = 'failed';
        EXIT WHEN FOUND;
        PERFORM pg_sleep(0.1);
    END LOOP;
END
$$;

-- Two served lists with reactions.
CREATE TEMP TABLE shown AS SELECT * FROM cfrec_serve(1, 5, model => 'implicit');
INSERT INTO shown SELECT * FROM cfrec_serve(2, 5, model => 'explicit');
SELECT cfrec_feedback(s.session_id, s.item_id, s.rank % 2 = 1) FROM shown s WHERE s.rank <= 3;
