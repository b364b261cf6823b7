-- cfrec 1.11.0 -> 1.12.0. Run by ALTER EXTENSION cfrec UPDATE; adds the
-- linear filter (cfrec_train's algorithm => 'linear_filter') and the table
-- that keeps its training interactions, and changes no existing row: every
-- model, training-log row, impression and reaction stays as it was.
\echo Use "ALTER EXTENSION cfrec UPDATE TO '1.12.0'" to load this file. \quit

-- A linear filter's training interactions (cfrec_train with algorithm =>
-- 'linear_filter'): one row per training user, their items ascending. The
-- filter scores anyone through them, so they are part of the model, like its
-- factor rows; it keeps no user vectors.
CREATE TABLE @extschema@.cfrec_linear_filter_rows (
    model   text NOT NULL,
    user_id bigint NOT NULL,
    items   bigint[] NOT NULL,
    PRIMARY KEY (model, user_id)
);

SELECT pg_catalog.pg_extension_config_dump('@extschema@.cfrec_linear_filter_rows', '');

REVOKE ALL ON @extschema@.cfrec_linear_filter_rows FROM PUBLIC;

GRANT SELECT ON @extschema@.cfrec_linear_filter_rows TO PUBLIC;

ALTER TABLE @extschema@.cfrec_linear_filter_rows ENABLE ROW LEVEL SECURITY;

CREATE POLICY cfrec_linear_filter_rows_read ON @extschema@.cfrec_linear_filter_rows FOR SELECT
    USING (model = ANY (ARRAY(SELECT @extschema@.cfrec_readable_models())));
