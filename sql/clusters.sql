-- cfrec_kmeans and cfrec_describe_clusters on planted taste groups: users
-- 1-20 watch items 1-10, users 21-40 items 11-20, users 41-60 items 21-30.
\set VERBOSITY terse
SET client_min_messages = warning;
CREATE TABLE cl_views AS
SELECT u AS user_id, i AS item_id
FROM generate_series(1, 60) u, generate_series(1, 30) i
WHERE (u - 1) / 20 = (i - 1) / 10 AND (u * 7 + i * 3) % 4 <> 0;
SELECT users, items FROM cfrec_train('cl_views', model => 'cl', feedback => 'implicit',
                                     rating_column => NULL, factors => 8);

-- Users: each planted group is exactly one cluster, and no two share one.
SELECT (id - 1) / 20 AS planted_group, count(*) AS users,
       count(DISTINCT cluster) AS clusters, min(cluster) AS cluster
FROM cfrec_kmeans('cl', 3) GROUP BY 1 ORDER BY 1;
-- Distances are non-negative; one row per user.
SELECT min(distance) >= 0 AS non_negative, count(*) AS rows FROM cfrec_kmeans('cl', 3);
-- Items likewise.
SELECT (id - 1) / 10 AS planted_group, count(DISTINCT cluster) AS clusters, min(cluster) AS cluster
FROM cfrec_kmeans('cl', 3, of => 'items') GROUP BY 1 ORDER BY 1;
-- Deterministic: the same arguments give the same clustering.
SELECT count(*) AS differing FROM cfrec_kmeans('cl', 4, seed => 7) a
JOIN cfrec_kmeans('cl', 4, seed => 7) b USING (id) WHERE a.cluster <> b.cluster OR a.distance <> b.distance;

-- Each user cluster is described by its size and items of its own group.
SELECT cluster, size, count(*) AS top_items,
       bool_and((item_id - 1) / 10 = cluster - 1) AS all_from_its_group,
       bool_and(rank = expected_rank) AS ranked
FROM (SELECT *, row_number() OVER (PARTITION BY cluster ORDER BY score DESC, item_id) AS expected_rank
      FROM cfrec_describe_clusters('cl', 3, top => 5)) d
GROUP BY cluster, size ORDER BY cluster;
-- Item clusters are described by their members nearest the centroid.
SELECT cluster, size, count(*) AS shown, bool_and((item_id - 1) / 10 = cluster - 1) AS members
FROM cfrec_describe_clusters('cl', 3, of => 'items', top => 4) GROUP BY cluster, size ORDER BY cluster;

-- Bad input.
SELECT count(*) FROM cfrec_kmeans('cl', 61);
SELECT count(*) FROM cfrec_kmeans('cl', 31, of => 'items');
SELECT count(*) FROM cfrec_kmeans('cl', 0);
SELECT count(*) FROM cfrec_kmeans('cl', 3, of => 'movies');
SELECT count(*) FROM cfrec_kmeans('no_such_model', 3);
SELECT count(*) FROM cfrec_kmeans('cl', 3, iterations => 0);
SELECT count(*) FROM cfrec_describe_clusters('cl', 3, top => 0);
SELECT count(*) FROM cfrec_kmeans('cl', NULL);
SELECT cfrec_drop_model('cl');
