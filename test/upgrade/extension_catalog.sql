-- Every member object of the cfrec extension as text, one line per
-- (object, aspect), sorted: what an upgraded database must share, line for
-- line, with a fresh install of the same version. Names, never OIDs.
WITH ext AS (
    SELECT e.oid, e.extversion, e.extnamespace FROM pg_catalog.pg_extension e WHERE e.extname = 'cfrec'
), member AS (
    SELECT d.classid, d.objid, pg_catalog.pg_describe_object(d.classid, d.objid, 0) AS object
    FROM pg_catalog.pg_depend d, ext
    WHERE d.refclassid = 'pg_catalog.pg_extension'::regclass AND d.refobjid = ext.oid AND d.deptype = 'e'
), rel AS (  -- member relations, and the relations behind member composite types
    SELECT m.object, c.* FROM member m JOIN pg_catalog.pg_class c
      ON (m.classid = 'pg_catalog.pg_class'::regclass AND c.oid = m.objid)
      OR (m.classid = 'pg_catalog.pg_type'::regclass
          AND c.oid = (SELECT t.typrelid FROM pg_catalog.pg_type t WHERE t.oid = m.objid))
)
SELECT line FROM (
    SELECT 'extension | version | ' || extversion AS line FROM ext
    UNION ALL
    SELECT 'extension | schema | ' || extnamespace::regnamespace::text FROM ext
    UNION ALL
    SELECT 'extension | config dump | ' || c::regclass::text || ' where ' || coalesce(w, '')
    FROM pg_catalog.pg_extension e,
         LATERAL unnest(e.extconfig, e.extcondition) AS x(c, w)
    WHERE e.extname = 'cfrec'
    UNION ALL
    SELECT m.object || ' | member' FROM member m
    UNION ALL
    SELECT m.object || ' | comment | ' || coalesce(pg_catalog.obj_description(m.objid, c.relname), '')
    FROM member m JOIN pg_catalog.pg_class c ON c.oid = m.classid
    UNION ALL
    SELECT m.object || ' | definition | ' || pg_catalog.pg_get_functiondef(p.oid)
    FROM member m JOIN pg_catalog.pg_proc p ON m.classid = 'pg_catalog.pg_proc'::regclass AND p.oid = m.objid
    UNION ALL
    SELECT m.object || ' | owner, acl | ' || p.proowner::regrole::text || ' ' || coalesce(p.proacl::text, 'default')
    FROM member m JOIN pg_catalog.pg_proc p ON m.classid = 'pg_catalog.pg_proc'::regclass AND p.oid = m.objid
    UNION ALL
    SELECT r.object || ' | kind, owner, acl, options | ' || r.relkind::text || ' ' || r.relpersistence::text || ' '
           || r.relowner::regrole::text || ' ' || coalesce(r.relacl::text, 'default') || ' '
           || coalesce(r.reloptions::text, '') || ' rls=' || r.relrowsecurity || '/' || r.relforcerowsecurity
    FROM rel r
    UNION ALL  -- columns in their visible order; dropped columns leave no trace
    SELECT r.object || ' | columns | ' || string_agg(
               pg_catalog.quote_ident(a.attname) || ' ' || pg_catalog.format_type(a.atttypid, a.atttypmod)
               || CASE WHEN a.attnotnull THEN ' not null' ELSE '' END
               || coalesce(' default ' || pg_catalog.pg_get_expr(ad.adbin, ad.adrelid), '')
               || CASE WHEN a.attidentity::text <> '' THEN ' identity ' || a.attidentity::text ELSE '' END
               || CASE WHEN a.attgenerated::text <> '' THEN ' generated ' || a.attgenerated::text ELSE '' END
               || coalesce(' acl ' || a.attacl::text, ''),
               ', ' ORDER BY a.attnum)
    FROM rel r JOIN pg_catalog.pg_attribute a ON a.attrelid = r.oid AND a.attnum > 0 AND NOT a.attisdropped
    LEFT JOIN pg_catalog.pg_attrdef ad ON ad.adrelid = a.attrelid AND ad.adnum = a.attnum
    GROUP BY r.object
    UNION ALL
    SELECT r.object || ' | constraint | ' || co.conname || ' ' || pg_catalog.pg_get_constraintdef(co.oid)
    FROM rel r JOIN pg_catalog.pg_constraint co ON co.conrelid = r.oid
    UNION ALL
    SELECT r.object || ' | index | ' || pg_catalog.pg_get_indexdef(i.indexrelid)
    FROM rel r JOIN pg_catalog.pg_index i ON i.indrelid = r.oid
    UNION ALL
    SELECT r.object || ' | trigger | ' || pg_catalog.pg_get_triggerdef(t.oid)
    FROM rel r JOIN pg_catalog.pg_trigger t ON t.tgrelid = r.oid AND NOT t.tgisinternal
    UNION ALL
    SELECT r.object || ' | policy | ' || po.polname || ' ' || po.polcmd::text || ' '
           || CASE WHEN po.polpermissive THEN 'permissive ' ELSE 'restrictive ' END
           || (SELECT pg_catalog.string_agg(CASE WHEN ro = 0 THEN 'public' ELSE ro::regrole::text END, ',' ORDER BY 1)
               FROM pg_catalog.unnest(po.polroles) ro) || ' '
           || coalesce(pg_catalog.pg_get_expr(po.polqual, po.polrelid), '') || ' '
           || coalesce(pg_catalog.pg_get_expr(po.polwithcheck, po.polrelid), '')
    FROM rel r JOIN pg_catalog.pg_policy po ON po.polrelid = r.oid
    UNION ALL
    SELECT r.object || ' | view | ' || pg_catalog.pg_get_viewdef(r.oid)
    FROM rel r WHERE r.relkind IN ('v', 'm')
    UNION ALL
    SELECT r.object || ' | sequence | ' || s.seqtypid::regtype::text || ' start ' || s.seqstart
           || ' increment ' || s.seqincrement || ' min ' || s.seqmin || ' max ' || s.seqmax
           || ' cache ' || s.seqcache || ' cycle ' || s.seqcycle
           || coalesce(' owned by ' || (SELECT pg_catalog.pg_describe_object(d.refclassid, d.refobjid, d.refobjsubid)
                                        FROM pg_catalog.pg_depend d
                                        WHERE d.classid = 'pg_catalog.pg_class'::regclass AND d.objid = r.oid
                                          AND d.deptype IN ('a', 'i') AND d.refobjsubid > 0), '')
    FROM rel r JOIN pg_catalog.pg_sequence s ON s.seqrelid = r.oid
) lines
ORDER BY line COLLATE "C";
