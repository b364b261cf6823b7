-- What every model serves, as text lines: equal before and after an upgrade.
\set ON_ERROR_STOP 1
SELECT m.model, u, string_agg(r.item_id || ':' || r.score, ' ' ORDER BY r.score DESC, r.item_id)
FROM cfrec_models m, generate_series(1, 61, 6) u, cfrec_recommend(u, 5, model => m.model) r
GROUP BY 1, 2 ORDER BY 1, 2;
SELECT m.model, u, i, cfrec_predict(u, i, model => m.model)
FROM cfrec_models m, generate_series(1, 61, 15) u, generate_series(1, 40, 13) i ORDER BY 1, 2, 3;
SELECT m.model, string_agg(s.item_id || ':' || s.similarity, ' ' ORDER BY s.similarity DESC, s.item_id)
FROM cfrec_models m, cfrec_similar_items(3, 5, model => m.model) s GROUP BY 1 ORDER BY 1;
SELECT m.model, string_agg(r.item_id || ':' || r.score, ' ' ORDER BY r.score DESC, r.item_id)
FROM cfrec_models m, cfrec_recommend_for_items('{1,2,3}', k => 5, model => m.model) r GROUP BY 1 ORDER BY 1;
