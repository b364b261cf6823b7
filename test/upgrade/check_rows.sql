-- After an upgrade: every kept row is still there with every value it had
-- (columns a later version added are allowed). Prints "<table>|lost|N".
\set ON_ERROR_STOP 1
CREATE FUNCTION pg_temp.now_as_kept(tbl regclass, key jsonb, old jsonb) RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE now jsonb;
BEGIN
    EXECUTE format('SELECT to_jsonb(t) FROM %s t WHERE to_jsonb(t) @> $1', tbl) INTO now USING key;
    RETURN (SELECT jsonb_object_agg(e.key, e.value) FROM jsonb_each(now) e WHERE old ? e.key);
END
$$;
SELECT k.tbl, 'lost', count(*) FILTER (WHERE pg_temp.now_as_kept(k.tbl, k.key, k.old) IS DISTINCT FROM k.old)
FROM upgrade_check.kept k GROUP BY 1 ORDER BY 1::text;
