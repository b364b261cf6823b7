-- cfrec 0.1.0 -> 1.0.0. Run by ALTER EXTENSION cfrec UPDATE; keeps every
-- model, training-log row, impression and reaction as it is.
\echo Use "ALTER EXTENSION cfrec UPDATE TO '1.0.0'" to load this file. \quit

-- 1.0.0 declares the 0.1.0 surface stable (regrouped in src/sql/cfrec.sql,
-- object for object the same) with one fix: cfrec_serve pins search_path like
-- the other SQL-language functions, so an object in the caller's schemas
-- cannot stand in for one of ours.
ALTER FUNCTION @extschema@.cfrec_serve(bigint, integer, text) SET search_path = pg_catalog, pg_temp;
