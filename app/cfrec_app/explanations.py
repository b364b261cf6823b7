""""Because you liked …": the user's films that add most to a recommended
film's score, from cfrec_explain."""


def because_you_liked(item: str, limit: int = 3) -> str:
    """A scalar subquery giving a JSON list of up to `limit` of the user's
    films, [{movie_id, title, contribution}], largest first, that add to the
    score of the film `item` (an SQL expression). It takes the named
    parameters %(user)s and %(model)s."""
    return f"""(SELECT coalesce(json_agg(json_build_object('movie_id', e.item_id, 'title', em.title,
                                                       'contribution', e.contribution)
                                     ORDER BY e.contribution DESC), '[]'::json)
               FROM cfrec_explain(%(user)s, {item}, %(model)s, k => {int(limit)}) e
               LEFT JOIN movies em ON em.movie_id = e.item_id
               WHERE e.kind = 'item' AND e.contribution > 0)"""
