-- cfrec 1.10.0 -> 1.11.0. Run by ALTER EXTENSION cfrec UPDATE; adds item and
-- user features (two new tables, cfrec_train's feature arguments, a feature
-- column in cfrec_explain's rows), and
-- changes no existing row: every model, training-log row, impression and
-- reaction stays as it was.
\echo Use "ALTER EXTENSION cfrec UPDATE TO '1.11.0'" to load this file. \quit

-- Models trained with features (cfrec_train's item_features and
-- user_features): where a side's features come from, and the map from
-- features to factors. A feature's row holds what it adds to a vector at
-- weight 1 in a row of unit length; the row whose feature is NULL is the
-- intercept, the vector of a row with no known feature.
CREATE TABLE @extschema@.cfrec_feature_source (
    model          text NOT NULL,
    side           text NOT NULL CHECK (side IN ('users', 'items')),
    relation       text NOT NULL,  -- quoted, schema-qualified
    id_column      text NOT NULL,
    feature_column text NOT NULL,
    weight_column  text,           -- NULL: every feature weighs 1
    features       integer NOT NULL,  -- features the map has (its rows, the intercept left out)
    PRIMARY KEY (model, side)
);

CREATE TABLE @extschema@.cfrec_feature_factors (
    model   text NOT NULL,
    side    text NOT NULL CHECK (side IN ('users', 'items')),
    feature text,
    bias    real NOT NULL,
    factors real[] NOT NULL,
    -- Items: the map weighed by their interactions, bias first, which sets a
    -- mapped item's length (its direction is bias and factors'); NULL for users.
    length  real[],
    UNIQUE NULLS NOT DISTINCT (model, side, feature)
);

SELECT pg_catalog.pg_extension_config_dump('@extschema@.cfrec_feature_source', '');

SELECT pg_catalog.pg_extension_config_dump('@extschema@.cfrec_feature_factors', '');

REVOKE ALL ON @extschema@.cfrec_feature_source, @extschema@.cfrec_feature_factors FROM PUBLIC;

GRANT SELECT ON @extschema@.cfrec_feature_source, @extschema@.cfrec_feature_factors TO PUBLIC;

ALTER TABLE @extschema@.cfrec_feature_source ENABLE ROW LEVEL SECURITY;

CREATE POLICY cfrec_feature_source_read ON @extschema@.cfrec_feature_source FOR SELECT
    USING (model = ANY (ARRAY(SELECT @extschema@.cfrec_readable_models())));

ALTER TABLE @extschema@.cfrec_feature_factors ENABLE ROW LEVEL SECURITY;

CREATE POLICY cfrec_feature_factors_read ON @extschema@.cfrec_feature_factors FOR SELECT
    USING (model = ANY (ARRAY(SELECT @extschema@.cfrec_readable_models())));

-- cfrec_explain splits the score of an item or user known only by its
-- features over those features.
ALTER TYPE @extschema@.cfrec_contribution ADD ATTRIBUTE feature text;

-- cfrec_train gains its feature arguments (named arguments keep working).
DROP FUNCTION @extschema@.cfrec_train(regclass, text, text, text, text, text, integer, integer,
                                      float8, float8, bigint, text, text, float8);

CREATE FUNCTION @extschema@.cfrec_train(
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
    learning_rate  float8  DEFAULT 0.01,
    item_features  regclass DEFAULT NULL,
    user_features  regclass DEFAULT NULL,
    feature_id_column     text DEFAULT 'id',
    feature_column        text DEFAULT 'feature',
    feature_weight_column text DEFAULT NULL)
RETURNS @extschema@.cfrec_training_summary
AS 'MODULE_PATHNAME', 'cfrec_train'
LANGUAGE C VOLATILE;
