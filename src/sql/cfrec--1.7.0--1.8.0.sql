-- cfrec 1.7.0 -> 1.8.0. Run by ALTER EXTENSION cfrec UPDATE; keeps every
-- model, training-log row, impression and reaction as it is.
\echo Use "ALTER EXTENSION cfrec UPDATE TO '1.8.0'" to load this file. \quit

-- algorithm => 'graph_filter' (issue 15). cfrec_train's feedback, factors,
-- regularization and alpha default to NULL, "the algorithm's default", so
-- each algorithm gets its own measured defaults; calls that name them, and
-- calls that leave them out of an ALS or SVD training, behave as before.
-- Arguments left NULL take the algorithm's defaults, measured on held-out
-- data (bench/RESULTS.md) and kept in one place, the core's default_options():
-- feedback 'explicit' ('implicit' for the graph filter); factors 64 for
-- explicit ALS and SVD, 256 for implicit ALS, 512 for the graph filter;
-- iterations 8 explicit ALS, 15 implicit ALS, 40 SVD, 3 graph filter;
-- regularization 0.1 explicit, 0.5 implicit ALS, weighted by each user's and
-- item's number of interactions (none for the graph filter); alpha 5, the
-- confidence scale of implicit ALS, or 1, the weight of the graph filter's
-- ideal low-pass part. Not STRICT, so that a NULL source or model gets a
-- clear error, not a NULL result.
CREATE OR REPLACE FUNCTION @extschema@.cfrec_train(
    source         regclass,
    model          text    DEFAULT 'default',
    user_column    text    DEFAULT 'user_id',
    item_column    text    DEFAULT 'item_id',
    rating_column  text    DEFAULT 'rating',
    feedback       text    DEFAULT NULL,
    factors        integer DEFAULT NULL,
    iterations     integer DEFAULT NULL,
    regularization float8  DEFAULT NULL,
    alpha          float8  DEFAULT NULL,
    seed           bigint  DEFAULT 42,
    watermark_column text  DEFAULT NULL,
    algorithm      text    DEFAULT 'als',
    learning_rate  float8  DEFAULT 0.01)
RETURNS @extschema@.cfrec_training_summary
AS 'MODULE_PATHNAME', 'cfrec_train'
LANGUAGE C VOLATILE;
