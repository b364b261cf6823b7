-- cfrec 1.9.0 -> 1.10.0. Run by ALTER EXTENSION cfrec UPDATE; adds
-- cfrec_explain and changes no table, so every model, training-log row,
-- impression and reaction stays as it was.
\echo Use "ALTER EXTENSION cfrec UPDATE TO '1.10.0'" to load this file. \quit

CREATE TYPE @extschema@.cfrec_contribution AS (
    kind         text,
    item_id      bigint,
    contribution real
);

CREATE FUNCTION @extschema@.cfrec_explain(
    user_id bigint,
    item_id bigint,
    model   text    DEFAULT 'default',
    k       integer DEFAULT 10)
RETURNS SETOF @extschema@.cfrec_contribution
AS 'MODULE_PATHNAME', 'cfrec_explain'
LANGUAGE C STABLE ROWS 12;
