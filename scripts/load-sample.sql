-- A generated stand-in for MovieLens, used when no MovieLens folder is at
-- hand: 400 users, 300 films in 6 genres; each user prefers two genres and
-- rates mostly films of those. Deterministic: draws come from hashint4, which
-- is stable across platforms (hash partitioning relies on it).
CREATE TABLE movies (movie_id int PRIMARY KEY, title text NOT NULL, year int, genres text[]);
CREATE TABLE ratings (user_id int NOT NULL, movie_id int NOT NULL, rating real NOT NULL,
                      rated_at timestamptz);
WITH g(n, genre) AS (VALUES (0, 'Comedy'), (1, 'Drama'), (2, 'Thriller'), (3, 'Sci-Fi'),
                            (4, 'Animation'), (5, 'Documentary'))
INSERT INTO movies
SELECT m, format('Sample %s film no. %s (%s)', g.genre, m, 1970 + m % 50), 1970 + m % 50, ARRAY[g.genre]
FROM generate_series(1, 300) m JOIN g ON g.n = m % 6;
INSERT INTO ratings
SELECT u, m,
       CASE WHEN liked THEN 4 + draw % 2 ELSE 1 + draw % 3 END,
       timestamptz '2020-01-01' + (u * 7919 + m) * interval '1 minute'
FROM generate_series(1, 400) u, generate_series(1, 300) m,
     LATERAL (SELECT m % 6 IN (u % 6, (u / 6) % 6) AS liked,
                     abs(hashint4(u * 1000 + m)) AS draw) d
WHERE draw % 100 < CASE WHEN liked THEN 45 ELSE 8 END;
