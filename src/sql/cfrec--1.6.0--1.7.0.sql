-- cfrec 1.6.0 -> 1.7.0. Run by ALTER EXTENSION cfrec UPDATE; keeps every
-- model, training-log row, impression and reaction as it is.
\echo Use "ALTER EXTENSION cfrec UPDATE TO '1.7.0'" to load this file. \quit

-- The server-wide shared model cache (issue 14): cfrec_cache lists its
-- entries too, with a new column `shared`. A function's result columns
-- cannot change in place, so the view and its function are made anew.
DROP VIEW @extschema@.cfrec_cache;

DROP FUNCTION @extschema@.cfrec_cache_stats();

-- The serving caches: this backend's own (bounded by cfrec.cache_size), and
-- the server's shared one (cfrec.shared_cache_size), shared = true, its
-- entries of this database. catch_ups counts how often a private entry
-- followed refreshes by reading only changed rows.
CREATE FUNCTION @extschema@.cfrec_cache_stats()
RETURNS TABLE (model text, version bigint, bytes bigint, hits bigint, loaded_at timestamptz,
               catch_ups bigint, shared boolean)
AS 'MODULE_PATHNAME', 'cfrec_cache_stats'
LANGUAGE C VOLATILE;

CREATE VIEW @extschema@.cfrec_cache AS SELECT * FROM @extschema@.cfrec_cache_stats();

GRANT SELECT ON @extschema@.cfrec_cache TO PUBLIC;
