-- The per-backend serving cache: visible in cfrec_cache, bounded by
-- cfrec.cache_size with least-recently-used eviction.
\set VERBOSITY terse
SET client_min_messages = warning;
SET cfrec.shared_cache_size = 0;  -- this backend's own cache only (test/shell/shared_cache.sh has the other)
SELECT count(*) FROM cfrec_recommend(1, 3);
SELECT count(*) FROM cfrec_recommend(2, 3);
SELECT model, hits, bytes > 0 AS sized, loaded_at <= now() AS loaded FROM cfrec_cache WHERE NOT shared ORDER BY model;
-- A model of about 1.3 MB (5,000 rows of 64 factors) beside a 1 MB limit.
SELECT users, items FROM cfrec_train('big_ratings', model => 'wide', factors => 64, iterations => 1);
SET cfrec.cache_size = '1MB';
RESET client_min_messages;
SELECT count(*) FROM cfrec_recommend(1, 3, model => 'wide');
SELECT model FROM cfrec_cache WHERE NOT shared ORDER BY model;
SELECT count(*) FROM cfrec_recommend(1, 3);
SELECT model FROM cfrec_cache WHERE NOT shared ORDER BY model;
RESET cfrec.cache_size;
SELECT count(*) FROM cfrec_recommend(1, 3, model => 'wide');
SELECT model, hits FROM cfrec_cache WHERE NOT shared ORDER BY model;
