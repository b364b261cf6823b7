-- Synthetic implicit-feedback data for benchmarks, seeded and reproducible.
-- psql variables: :tbl (table name), :n (rows).
-- 160,000 users drawn uniformly; 60,000 items with Zipf(1.0) popularity (drawn
-- by the continuous inverse CDF rank = floor(60001^u)), item id = a fixed
-- permutation of the popularity rank; unique (user, item) pairs; value
-- Geometric(p = 0.5) on 1, 2, 3, ...
SET max_parallel_workers_per_gather = 0;  -- one random() stream: reproducible
SELECT setseed(0.42);
DROP TABLE IF EXISTS :tbl;
CREATE TABLE :tbl AS
SELECT user_id, item_id, min(value) AS value
FROM (SELECT 1 + floor(random() * 160000)::int AS user_id,
             1 + ((floor(power(60001, random()))::int - 1) * 7919) % 60000 AS item_id,
             1 + floor(ln(1 - random()) / ln(0.5))::real AS value
      FROM generate_series(1, (:n * 1.12)::bigint)) draws
GROUP BY user_id, item_id
ORDER BY min(random())
LIMIT :n;
CREATE INDEX ON :tbl (user_id);
ANALYZE :tbl;
