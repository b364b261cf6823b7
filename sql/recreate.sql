-- The serving cache survives DROP/CREATE EXTENSION in the same session:
-- versions restart at 1, so a new model of an old name and version must not
-- be served from stale factors. Predictions are checked against the factor
-- tables computed in plain SQL.
\set VERBOSITY terse
SET client_min_messages = warning;
DROP EXTENSION cfrec;
CREATE EXTENSION cfrec;
CREATE TABLE recreate_a AS SELECT u AS user_id, i AS item_id, 1 + (u * i) % 5 AS rating
FROM generate_series(1, 20) u, generate_series(1, 15) i;
SELECT users FROM cfrec_train('recreate_a', factors => 3, iterations => 3);
SELECT version FROM cfrec_models;
SELECT cfrec_predict(2, 3) IS NOT NULL AS served;
DROP EXTENSION cfrec;
CREATE EXTENSION cfrec;
CREATE TABLE recreate_b AS SELECT u AS user_id, i AS item_id, 1 + (u + 2 * i) % 5 AS rating
FROM generate_series(1, 20) u, generate_series(1, 15) i;
SELECT users FROM cfrec_train('recreate_b', factors => 5, iterations => 3);
SELECT version FROM cfrec_models;
SELECT abs(cfrec_predict(2, 3) - least(greatest(
           m.global_mean + u.bias + i.bias + (SELECT sum(a * b) FROM unnest(u.factors, i.factors) AS t(a, b)),
           m.rating_min), m.rating_max)) < 1e-4 AS matches_stored_model
FROM cfrec_model m
JOIN cfrec_user_factors u ON u.model = m.name AND u.id = 2
JOIN cfrec_item_factors i ON i.model = m.name AND i.id = 3;
