-- Serving a model trained elsewhere (issue 14): cfrec_import_model takes
-- factor tables in Spark MLlib ALS's shape, as its JDBC writer stores
-- userFactors / itemFactors: (id integer, features real[]).
\set VERBOSITY terse
SET client_min_messages = warning;

-- A round trip: a cfrec model's factors, written out in Spark's shape (with
-- a bias column), imported under another name, serve the same answers.
SELECT users FROM cfrec_train('ratings', model => 'native', factors => 4, iterations => 10);
CREATE TABLE spark_users (id integer, features real[], bias real);
CREATE TABLE spark_items (id integer, features real[], bias real);
INSERT INTO spark_users SELECT id, factors, bias FROM cfrec_user_factors WHERE model = 'native';
INSERT INTO spark_items SELECT id, factors, bias FROM cfrec_item_factors WHERE model = 'native';
SELECT model, feedback, users, items, interactions
FROM cfrec_import_model('copy', 'spark_users', 'spark_items', 'ratings', bias_column => 'bias',
                        global_mean => (SELECT global_mean FROM cfrec_model WHERE name = 'native'));
SELECT model, algorithm, factors, users, items FROM cfrec_models WHERE model = 'copy';
SELECT (SELECT array_agg(item_id ORDER BY score DESC, item_id) FROM cfrec_recommend(u, 5, 'native'))
     = (SELECT array_agg(item_id ORDER BY score DESC, item_id) FROM cfrec_recommend(u, 5, 'copy')) AS same_top5,
       cfrec_predict(u, 3, 'native') = cfrec_predict(u, 3, 'copy') AS same_prediction
FROM generate_series(1, 60, 7) u;
SELECT (SELECT array_agg(item_id) FROM cfrec_similar_items(1, 5, 'native'))
     = (SELECT array_agg(item_id) FROM cfrec_similar_items(1, 5, 'copy')) AS same_similar;
-- The popularity fallback counts the source's rows per item, as training does.
SELECT (SELECT array_agg(interactions ORDER BY id) FROM cfrec_item_factors WHERE model = 'native')
     = (SELECT array_agg(interactions ORDER BY id) FROM cfrec_item_factors WHERE model = 'copy') AS same_counts;

-- Spark's own shape: no biases, no global mean; implicit feedback. Scores
-- are plain dot products, and exclude_seen reads the source.
CREATE TABLE als_users (id integer, features real[]);
CREATE TABLE als_items (id integer, features real[]);
INSERT INTO als_users SELECT u, ARRAY[sin(u), cos(u), sin(2 * u)]::real[] FROM generate_series(1, 60) u;
INSERT INTO als_items SELECT i, ARRAY[cos(i), sin(i), cos(3 * i)]::real[] FROM generate_series(1, 40) i;
SELECT model, feedback, users, items
FROM cfrec_import_model('spark', 'als_users', 'als_items', 'ratings', feedback => 'implicit', rating_column => NULL);
SELECT abs(cfrec_predict(5, 7, 'spark')
           - (SELECT sum(a * b) FROM unnest((SELECT features FROM als_users WHERE id = 5),
                                           (SELECT features FROM als_items WHERE id = 7)) x(a, b))) < 1e-5 AS dot_product;
SELECT array_agg(item_id ORDER BY score DESC, item_id) = (
    SELECT array_agg(i.id::bigint ORDER BY s DESC, i.id) FROM (
        SELECT i.id, (SELECT sum(a * b) FROM unnest(u.features, i.features) x(a, b)) AS s
        FROM als_users u, als_items i
        WHERE u.id = 5 AND i.id NOT IN (SELECT item_id FROM ratings WHERE user_id = 5)
        ORDER BY s DESC, i.id LIMIT 5) i) AS top5_unseen
FROM cfrec_recommend(5, 5, 'spark');
SELECT count(*) FROM cfrec_recommend_for_items(ARRAY[1, 2, 3]::bigint[], k => 5, model => 'spark');

-- Importing again replaces the model, with a new version.
SELECT version AS v1 FROM cfrec_models WHERE model = 'spark' \gset
SELECT users FROM cfrec_import_model('spark', 'als_users', 'als_items', 'ratings', feedback => 'implicit', rating_column => NULL);
SELECT version > :v1 AS new_version FROM cfrec_models WHERE model = 'spark';

-- Bad factor tables are refused before anything is written.
-- A view that returns finite factors when first read and NaN after: each
-- table is read once, into a private copy that is checked and stored, so
-- what is stored is what was checked.
CREATE SEQUENCE reads;
CREATE VIEW changing_items AS
SELECT id, CASE WHEN nextval('reads') <= (SELECT count(*) FROM als_items) THEN features
                ELSE array_fill('NaN'::real, ARRAY[cardinality(features)]) END AS features
FROM als_items;
SELECT items FROM cfrec_import_model('changing', 'als_users', 'changing_items', 'ratings',
                                     feedback => 'implicit', rating_column => NULL);
SELECT count(*) AS nan_rows FROM cfrec_item_factors
WHERE model = 'changing' AND 'NaN'::real = ANY (factors);
SELECT cfrec_drop_model('changing');
DROP VIEW changing_items;
DROP SEQUENCE reads;
-- The storing step, called directly, checks every row itself.
CREATE TABLE nan_items AS
SELECT id::bigint AS id, array_fill('NaN'::real, ARRAY[cardinality(features)]) AS features,
       0::real AS bias, 1 AS interactions FROM als_items;
CREATE TABLE copied_users AS SELECT id::bigint AS id, features, 0::real AS bias FROM als_users;
SELECT cfrec_store_imported('direct', 'implicit', 'copied_users', 'nan_items', 'ratings', 'user_id',
                            'item_id', NULL, 0.1, 1.0, 0, NULL, NULL, 100);
CREATE TABLE short_items AS SELECT id::bigint AS id, features[1:2] AS features, 0::real AS bias,
                                        1 AS interactions FROM als_items;
SELECT cfrec_store_imported('direct', 'implicit', 'copied_users', 'short_items', 'ratings', 'user_id',
                            'item_id', NULL, 0.1, 1.0, 0, NULL, NULL, 100);
DROP TABLE nan_items, short_items, copied_users;
CREATE TABLE bad (id integer, features real[], weight text);
INSERT INTO bad SELECT * , 'x' FROM als_items;
INSERT INTO bad VALUES (1, ARRAY[1, 2, 3]);
SELECT cfrec_import_model('bad', 'als_users', 'bad', 'ratings', feedback => 'implicit', rating_column => NULL);
DELETE FROM bad WHERE id = 1 AND weight IS NULL;
UPDATE bad SET features = ARRAY[1, 2] WHERE id = 2;
SELECT cfrec_import_model('bad', 'als_users', 'bad', 'ratings', feedback => 'implicit', rating_column => NULL);
UPDATE bad SET features = ARRAY[1, 'NaN', 3]::real[] WHERE id = 2;
SELECT cfrec_import_model('bad', 'als_users', 'bad', 'ratings', feedback => 'implicit', rating_column => NULL);
UPDATE bad SET features = ARRAY[1, 'Infinity', 3]::real[] WHERE id = 2;
SELECT cfrec_import_model('bad', 'als_users', 'bad', 'ratings', feedback => 'implicit', rating_column => NULL);
UPDATE bad SET features = NULL WHERE id = 2;
SELECT cfrec_import_model('bad', 'als_users', 'bad', 'ratings', feedback => 'implicit', rating_column => NULL);
UPDATE bad SET features = ARRAY[1, 2, 3, 4] WHERE true;
SELECT cfrec_import_model('bad', 'als_users', 'bad', 'ratings', feedback => 'implicit', rating_column => NULL);
UPDATE bad SET features = ARRAY[1, 2, 3];
SELECT cfrec_import_model('bad', 'bad', 'bad', 'ratings', feedback => 'implicit', rating_column => NULL,
                          bias_column => 'weight');
SELECT cfrec_import_model('bad', 'bad', 'bad', 'ratings', id_column => 'item');
SELECT cfrec_import_model('bad', 'bad', 'bad', 'ratings', features_column => 'weight');
SELECT cfrec_import_model('bad', 'bad', 'bad', 'ratings', user_column => 'weight');
SELECT cfrec_import_model('bad', 'als_users', 'bad', 'ratings', feedback => 'sideways');
SELECT cfrec_import_model('bad', 'als_users', 'bad', 'ratings', rating_column => NULL);
SELECT cfrec_import_model('', 'als_users', 'bad', 'ratings');
SELECT cfrec_import_model('bad', 'als_users', NULL, 'ratings');
TRUNCATE bad;
SELECT cfrec_import_model('bad', 'als_users', 'bad', 'ratings', feedback => 'implicit', rating_column => NULL);
SELECT count(*) AS bad_models FROM cfrec_models WHERE model = 'bad';

-- Imports follow the owners' rules of training.
CREATE ROLE regress_cfrec_importer;
GRANT SELECT ON als_users, als_items, ratings TO regress_cfrec_importer;
SET ROLE regress_cfrec_importer;
SELECT cfrec_import_model('mine', 'als_users', 'als_items', 'ratings', feedback => 'implicit', rating_column => NULL);
RESET ROLE;
GRANT cfrec_trainer TO regress_cfrec_importer;
SET ROLE regress_cfrec_importer;
DO $$ BEGIN  -- 'spark' belongs to the bootstrap superuser, whose name varies
    PERFORM cfrec_import_model('spark', 'als_users', 'als_items', 'ratings', feedback => 'implicit',
                               rating_column => NULL);
EXCEPTION WHEN insufficient_privilege THEN
    RAISE WARNING 'replacing another owner''s model: %', regexp_replace(SQLERRM, 'role "[^"]*"', 'role "..."');
END $$;
SELECT users FROM cfrec_import_model('mine', 'als_users', 'als_items', 'ratings', feedback => 'implicit', rating_column => NULL);
SELECT count(*) FROM cfrec_recommend(1, 3, 'mine');
RESET ROLE;
SELECT owner FROM cfrec_models WHERE model = 'mine';

SELECT cfrec_drop_model(m) FROM unnest(ARRAY['native', 'copy', 'spark', 'mine']) m;
DROP TABLE spark_users, spark_items, als_users, als_items, bad;
DROP OWNED BY regress_cfrec_importer;
DROP ROLE regress_cfrec_importer;
