-- No user object changes what cfrec's code does. A schema first on a
-- superuser's search_path (before pg_catalog, named explicitly) holds a spy
-- for every comparison, arithmetic and concatenation operator PostgreSQL
-- has, and for the functions and aggregates cfrec's SQL uses, each with the
-- exact signature of PostgreSQL's own, so it would win wherever a name is
-- looked up on the path. Every cfrec function is then called; a spy that
-- runs raises an error naming itself.
\set VERBOSITY terse
SET client_min_messages = warning;
CREATE SCHEMA spy;
CREATE TABLE spy_ratings AS SELECT user_id, item_id, rating, now() - (user_id * 40 + item_id) * interval '1 minute' AS at
FROM ratings;
CREATE INDEX ON spy_ratings (user_id);
CREATE TABLE spy_tested AS SELECT * FROM spy_ratings WHERE (user_id + item_id) % 5 = 0;
DO $$
DECLARE
    o record;
    f record;
    n int := 0;
BEGIN
    FOR o IN SELECT p.oprname, p.oprleft::regtype AS l, p.oprright::regtype AS r, p.oprresult::regtype AS res
             FROM pg_operator p
             WHERE p.oprnamespace = 'pg_catalog'::regnamespace AND p.oprleft <> 0 AND p.oprright <> 0
               AND p.oprname IN ('=', '<>', '<', '>', '<=', '>=', '+', '-', '*', '/', '%', '||', '@>', '<@', '&&', '~~')
    LOOP
        BEGIN
            n := n + 1;
            EXECUTE format('CREATE FUNCTION spy.op_%s(%s, %s) RETURNS %s LANGUAGE plpgsql AS '
                           '$f$BEGIN RAISE EXCEPTION ''spy operator %s (%s, %s) ran''; END$f$',
                           n, o.l, o.r, o.res, o.oprname, o.l, o.r);
            EXECUTE format('CREATE OPERATOR spy.%s (LEFTARG = %s, RIGHTARG = %s, FUNCTION = spy.op_%s)',
                           o.oprname, o.l, o.r, n);
        EXCEPTION WHEN others THEN NULL;  -- pseudo-types no PL/pgSQL function takes
        END;
    END LOOP;
    FOR f IN SELECT p.proname, pg_get_function_identity_arguments(p.oid) AS args,
                    pg_get_function_result(p.oid) AS res, p.prokind
             FROM pg_proc p
             WHERE p.pronamespace = 'pg_catalog'::regnamespace AND p.prokind = 'f' AND NOT p.proretset
               AND p.proname IN ('now', 'clock_timestamp', 'nextval', 'gen_random_uuid', 'abs', 'cardinality',
                                 'array_ndims', 'array_remove', 'array_cat', 'array_append', 'quote_ident',
                                 'to_regrole', 'pg_has_role', 'has_table_privilege', 'current_schema',
                                 'parse_ident', 'array_to_string', 'hashtextextended', 'textcat', 'round',
                                 'least', 'greatest', 'date_part', 'to_char', 'timezone', 'jsonb_build_object',
                                 'jsonb_build_array', 'jsonb_typeof', 'jsonb_array_length', 'set_config',
                                 'current_setting', 'pg_is_in_recovery', 'pg_get_userbyid', 'format_type',
                                 'octet_length', 'text', 'int8', 'float8', 'float4', 'int4', 'oid', 'numeric')
    LOOP
        BEGIN
            n := n + 1;
            EXECUTE format('CREATE FUNCTION spy.%I(%s) RETURNS %s LANGUAGE plpgsql AS '
                           '$f$BEGIN RAISE EXCEPTION ''spy function %s(%s) ran''; END$f$',
                           f.proname, f.args, f.res, f.proname, f.args);
        EXCEPTION WHEN others THEN NULL;
        END;
    END LOOP;
END
$$;
-- Aggregates: count(*), and min, max, sum, avg, array_agg of the usual types.
CREATE FUNCTION spy.agg_step(bigint) RETURNS bigint LANGUAGE plpgsql AS
$$BEGIN RAISE EXCEPTION 'spy aggregate ran'; END$$;
CREATE AGGREGATE spy.count(*) (SFUNC = spy.agg_step, STYPE = bigint, INITCOND = '0');
DO $$
DECLARE t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['bigint', 'integer', 'real', 'double precision', 'text', 'timestamptz', 'date', 'numeric'] LOOP
        EXECUTE format('CREATE FUNCTION spy.agg_step(%1$s, %1$s) RETURNS %1$s LANGUAGE plpgsql AS '
                       '$f$BEGIN RAISE EXCEPTION ''spy aggregate over %1$s ran''; END$f$', t);
        EXECUTE format('CREATE AGGREGATE spy.min(%1$s) (SFUNC = spy.agg_step, STYPE = %1$s)', t);
        EXECUTE format('CREATE AGGREGATE spy.max(%1$s) (SFUNC = spy.agg_step, STYPE = %1$s)', t);
        EXECUTE format('CREATE AGGREGATE spy.sum(%1$s) (SFUNC = spy.agg_step, STYPE = %1$s)', t);
        EXECUTE format('CREATE AGGREGATE spy.avg(%1$s) (SFUNC = spy.agg_step, STYPE = %1$s)', t);
    END LOOP;
END
$$;
SELECT count(*) > 500 AS many_spies FROM pg_proc WHERE pronamespace = 'spy'::regnamespace;
-- The careless superuser. (This test's own queries name pg_catalog's
-- functions and operators; cfrec's must not need to.)
SET search_path = spy, pg_catalog, public;
SELECT users FROM cfrec_train('spy_ratings', model => 'spy_m', factors => 4, iterations => 2,
                              watermark_column => 'at');
SELECT users FROM cfrec_train('spy_ratings', model => 'spy_i', feedback => 'implicit', rating_column => NULL,
                              factors => 4, iterations => 2);
SELECT users FROM cfrec_train('spy_ratings', model => 'spy_g', algorithm => 'graph_filter', factors => 4);
SELECT users FROM cfrec_train('spy_ratings', model => 'spy_s', algorithm => 'svd', factors => 4, iterations => 2);
SELECT pg_catalog.count(*) FROM cfrec_recommend(1, 3, 'spy_m');
SELECT pg_catalog.count(*) FROM cfrec_recommend(1, 3, 'spy_m', include => ARRAY[1, 2, 3, 4]::bigint[], exclude => ARRAY[2]::bigint[]);
SELECT pg_catalog.count(*) FROM cfrec_recommend(99999, 3, 'spy_i');
SELECT pg_catalog.count(*) FROM cfrec_recommend_for_items(ARRAY[1, 2]::bigint[], k => 3, model => 'spy_i');
SELECT cfrec_predict(1, 1, 'spy_m') IS NOT NULL AS predicted;
SELECT pg_catalog.count(*) FROM cfrec_similar_items(1, 3, 'spy_i');
SELECT pg_catalog.count(*) FROM cfrec_recommend_all('spy_i', 2);
SELECT pg_catalog.count(*) FROM cfrec_recommend_all('spy_i', 2, target => 'public.spy_batch');
SELECT pg_catalog.count(*) FROM cfrec_popular(3, 'spy_m');
SELECT pg_catalog.count(*) FROM cfrec_popular(3, 'spy_m', since => '30 days');
SELECT cfrec_refresh_users('spy_m', ARRAY[1, 2]);
SELECT cfrec_refresh_items('spy_m', ARRAY[1, 2]);
INSERT INTO public.spy_ratings VALUES (1, 3, 5, pg_catalog.now());
SELECT refreshed_users FROM cfrec_update('spy_m');
SELECT pg_catalog.count(*) FROM cfrec_evaluate('spy_m', 'public.spy_tested');
SELECT pg_catalog.count(*) FROM cfrec_kmeans('spy_i', 2);
SELECT pg_catalog.count(*) FROM cfrec_describe_clusters('spy_i', 2, top => 2);
SELECT train_rows OPERATOR(pg_catalog.+) test_rows FROM cfrec_split('public.spy_ratings', 'public.spy_train', 'public.spy_test');
SELECT pg_catalog.count(*) FROM cfrec_tune('public.spy_ratings', 'spy_tuned', '{"factors": [2]}', folds => 2);
CREATE TEMP TABLE spy_shown AS SELECT * FROM cfrec_serve(1, 3, 'spy_i');
SELECT pg_catalog.count(cfrec_feedback(s.session_id, s.item_id, true)) FROM spy_shown s;
SELECT pg_catalog.count(*) FROM cfrec_online_metrics('spy_i');
SELECT cfrec_grant('spy_i', 'PUBLIC'), cfrec_revoke('spy_i', 'PUBLIC');
CREATE TABLE public.spy_users AS SELECT id, factors AS features FROM public.cfrec_user_factors WHERE model OPERATOR(pg_catalog.=) 'spy_m';
CREATE TABLE public.spy_items AS SELECT id, factors AS features FROM public.cfrec_item_factors WHERE model OPERATOR(pg_catalog.=) 'spy_m';
SELECT users FROM cfrec_import_model('spy_imported', 'public.spy_users', 'public.spy_items', 'public.spy_ratings');
CREATE TRIGGER spy_refresh AFTER INSERT ON public.spy_ratings REFERENCING NEW TABLE AS new_rows
FOR EACH STATEMENT EXECUTE FUNCTION public.cfrec_refresh_trigger('spy_m');
INSERT INTO public.spy_ratings VALUES (2, 3, 4, pg_catalog.now());
SELECT pg_catalog.count(*) FROM public.cfrec_models;
SELECT pg_catalog.count(*) FROM public.cfrec_model_status;
SELECT pg_catalog.count(*) OPERATOR(pg_catalog.>) 0 AS cached FROM public.cfrec_cache;
SELECT cfrec_drop_model(m) FROM unnest(ARRAY['spy_m', 'spy_i', 'spy_g', 'spy_s', 'spy_tuned', 'spy_imported']) m;
RESET search_path;
-- An overload of a cfrec function planted in its schema changes nothing
-- either: cfrec_serve calls no function by name.
CREATE FUNCTION public.cfrec_recommend(bigint, integer, text) RETURNS SETOF record
LANGUAGE plpgsql AS $$BEGIN RAISE EXCEPTION 'planted cfrec_recommend ran'; END$$;
SELECT users FROM cfrec_train('spy_ratings', model => 'spy_m', factors => 4, iterations => 2);
SELECT count(*) FROM cfrec_serve(1, 3, 'spy_m');
DROP FUNCTION public.cfrec_recommend(bigint, integer, text);
SELECT cfrec_drop_model('spy_m');
DROP SCHEMA spy CASCADE;
DROP TABLE spy_ratings, spy_tested, spy_batch, spy_train, spy_test, spy_users, spy_items;
