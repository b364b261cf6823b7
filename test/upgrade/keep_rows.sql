-- Before an upgrade: every row of cfrec's tables, as JSON, kept aside.
\set ON_ERROR_STOP 1
CREATE SCHEMA upgrade_check;
CREATE TABLE upgrade_check.kept (tbl regclass, key jsonb, old jsonb);
INSERT INTO upgrade_check.kept
SELECT 'cfrec_model', jsonb_build_object('name', t.name), to_jsonb(t) FROM cfrec_model t
UNION ALL SELECT 'cfrec_user_factors', jsonb_build_object('model', t.model, 'id', t.id), to_jsonb(t) FROM cfrec_user_factors t
UNION ALL SELECT 'cfrec_item_factors', jsonb_build_object('model', t.model, 'id', t.id), to_jsonb(t) FROM cfrec_item_factors t
UNION ALL SELECT 'cfrec_training_log', jsonb_build_object('id', t.id), to_jsonb(t) FROM cfrec_training_log t
UNION ALL SELECT 'cfrec_impressions', jsonb_build_object('session_id', t.session_id, 'item_id', t.item_id), to_jsonb(t)
          FROM cfrec_impressions t
UNION ALL SELECT 'cfrec_reactions', jsonb_build_object('session_id', t.session_id, 'item_id', t.item_id), to_jsonb(t)
          FROM cfrec_reactions t;
SELECT tbl, count(*) FROM upgrade_check.kept GROUP BY 1 ORDER BY 1::text;
