-- cfrec 1.1.0 -> 1.2.0. Run by ALTER EXTENSION cfrec UPDATE; keeps every
-- model, training-log row, impression and reaction as it is.
\echo Use "ALTER EXTENSION cfrec UPDATE TO '1.2.0'" to load this file. \quit

-- cfrec_popular moves from PL/pgSQL to C, so that with `since` it reads the
-- model's source as the model's owner, like every other read of a source
-- (issue 13, H1): PL/pgSQL cannot switch roles.
CREATE OR REPLACE FUNCTION @extschema@.cfrec_popular(
    k     integer  DEFAULT 10,
    model text     DEFAULT 'default',
    since interval DEFAULT NULL)
RETURNS TABLE (item_id bigint, interactions bigint)
AS 'MODULE_PATHNAME', 'cfrec_popular'
LANGUAGE C STABLE;
