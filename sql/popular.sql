-- cfrec_popular: most interacted items overall (training counts) or recently
-- (source rows newer than now() - since).
\set VERBOSITY terse
SET client_min_messages = warning;
CREATE TABLE views (user_id int, item_id int, at timestamptz);
INSERT INTO views SELECT u, i, now() - interval '30 days'
FROM generate_series(1, 50) u, generate_series(1, 10) i WHERE i <= u % 10 + 1;
-- Item 42 is new and hot: 30 views in the last hour.
INSERT INTO views SELECT u, 42, now() - interval '10 minutes' FROM generate_series(1, 30) u;
SELECT users FROM cfrec_train('views', model => 'views', feedback => 'implicit', rating_column => NULL,
                              factors => 2, iterations => 2, watermark_column => 'at');
SELECT * FROM cfrec_popular(3, 'views');
SELECT * FROM cfrec_popular(3, 'views', since => interval '1 day');
SELECT count(*) FROM cfrec_popular(3, 'views', since => interval '1 second');
SELECT users FROM cfrec_train('views', model => 'views_plain', feedback => 'implicit',
                              rating_column => NULL, factors => 2, iterations => 1);
RESET client_min_messages;
SELECT * FROM cfrec_popular(0, 'views');
SELECT * FROM cfrec_popular(3, 'nope');
SELECT * FROM cfrec_popular(3, NULL);
SELECT * FROM cfrec_popular(3, 'views_plain', since => interval '1 day');
