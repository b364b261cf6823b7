"""The dashboard: server-rendered pages whose charts Chart.js draws from data
embedded in the page (static/dashboard.js). Three pages, each a handful of
queries: the catalogue, the users, the models."""
import json
import pathlib
from typing import Optional

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from .api import served_models
from .explanations import because_you_liked

router = APIRouter(include_in_schema=False)
templates = Jinja2Templates(directory=pathlib.Path(__file__).resolve().parent / "templates")


def chart(kind: str, labels, values, label: str) -> str:
    """A Chart.js configuration, as JSON for a canvas's data-chart attribute."""
    return json.dumps({"type": kind,
                       "data": {"labels": list(labels),
                                "datasets": [{"label": label, "data": [float(v) for v in values],
                                              "backgroundColor": "#4e79a7", "borderColor": "#4e79a7"}]},
                       "options": {"animation": False, "plugins": {"legend": {"display": False}}}},
                      default=str)


def page(request: Request, template: str, **context) -> HTMLResponse:
    return templates.TemplateResponse(template, {"request": request, **context})


@router.get("/", response_class=HTMLResponse)
def catalogue(request: Request, user: Optional[int] = Query(None, ge=-2**63, le=2**63 - 1),
              model: str = Query("default", min_length=1, max_length=1024)):
    db, t = request.app.state.db, request.state.db_seconds
    ratings = db.all(t, "SELECT rating, count(*) AS n FROM ratings GROUP BY 1 ORDER BY 1")
    years = db.all(t, "SELECT year, count(*) AS n FROM movies WHERE year IS NOT NULL GROUP BY 1 ORDER BY 1")
    most_rated = db.all(t, """
        SELECT m.movie_id, m.title, m.year, count(*) AS n, round(avg(r.rating)::numeric, 2) AS mean
        FROM ratings r JOIN movies m USING (movie_id)
        GROUP BY m.movie_id ORDER BY n DESC, m.movie_id LIMIT 10""")
    best_rated = db.all(t, """
        SELECT m.movie_id, m.title, m.year, count(*) AS n, round(avg(r.rating)::numeric, 2) AS mean
        FROM ratings r JOIN movies m USING (movie_id)
        GROUP BY m.movie_id HAVING count(*) >= 20 ORDER BY mean DESC, n DESC, m.movie_id LIMIT 10""")
    cards, known, error = [], None, None
    if user is not None:
        if request.app.state.token_rules is not None:
            # A browser form sends no bearer token: a user's lists are the API's, for that user.
            error = "this server serves a user's recommendations only to that user, through the API"
        elif model not in served_models():
            error = f'cfrec model "{model}" is not served here'
        elif db.one(t, "SELECT 1 AS ok FROM cfrec_models WHERE model = %s", (model,)) is None:
            error = f'cfrec model "{model}" does not exist'
        else:
            known = db.one(t, "SELECT EXISTS (SELECT FROM cfrec_user_factors WHERE model = %s AND id = %s) AS k",
                           (model, user))["k"]
            reasons = f", {because_you_liked('r.item_id')} AS because_you_liked" if known else ""
            cards = db.all(t, f"""
                SELECT r.item_id AS movie_id, r.score, m.title, m.year, m.genres{reasons}
                FROM cfrec_recommend(%(user)s, 12, %(model)s) WITH ORDINALITY r(item_id, score, rank)
                LEFT JOIN movies m ON m.movie_id = r.item_id ORDER BY r.rank""", {"user": user, "model": model})
    return page(request, "catalogue.html",
                rating_chart=chart("bar", [r["rating"] for r in ratings], [r["n"] for r in ratings], "ratings"),
                year_chart=chart("bar", [y["year"] for y in years], [y["n"] for y in years], "films"),
                most_rated=most_rated, best_rated=best_rated, user=user, model=model, cards=cards,
                known=known, error=error)


@router.get("/dashboard/users", response_class=HTMLResponse)
def users(request: Request):
    db, t = request.app.state.db, request.state.db_seconds
    activity = db.all(t, """
        SELECT 2 ^ floor(log(2, n::numeric)) AS bucket, count(*) AS users
        FROM (SELECT count(*) AS n FROM ratings GROUP BY user_id) u GROUP BY 1 ORDER BY 1""")
    given = db.all(t, """
        SELECT (round(avg_rating * 2) / 2)::float8 AS mean, count(*) AS users
        FROM (SELECT avg(rating)::numeric AS avg_rating FROM ratings GROUP BY user_id) u GROUP BY 1 ORDER BY 1""")
    per_year = db.all(t, """
        SELECT extract(year FROM rated_at)::int AS year, count(*) AS n, count(DISTINCT user_id) AS users
        FROM ratings WHERE rated_at IS NOT NULL GROUP BY 1 ORDER BY 1""")
    top = db.all(t, """
        SELECT user_id, count(*) AS n, round(avg(rating)::numeric, 2) AS mean, max(rated_at) AS last
        FROM ratings GROUP BY user_id ORDER BY n DESC, user_id LIMIT 10""")
    totals = db.one(t, "SELECT count(*) AS ratings, count(DISTINCT user_id) AS users FROM ratings")
    return page(request, "users.html", totals=totals, top=top,
                activity_chart=chart("bar", [f"{int(a['bucket'])}+" for a in activity],
                                     [a["users"] for a in activity], "users"),
                given_chart=chart("bar", [g["mean"] for g in given], [g["users"] for g in given], "users"),
                year_chart=chart("line", [p["year"] for p in per_year], [p["n"] for p in per_year], "ratings"))


@router.get("/dashboard/models", response_class=HTMLResponse)
def models(request: Request, model: str = Query("default", min_length=1, max_length=1024)):
    db, t = request.app.state.db, request.state.db_seconds
    rows = db.all(t, """
        SELECT model, feedback, algorithm, users, items, interactions, factors,
               round(loss::numeric, 4) AS loss, round(train_seconds::numeric, 2) AS seconds, trained_at, owner
        FROM cfrec_models ORDER BY model""")
    runs = db.all(t, """
        SELECT model, operation, started_at, round(seconds::numeric, 2) AS seconds, outcome,
               round(final_loss::numeric, 4) AS final_loss, iterations
        FROM cfrec_training_log ORDER BY started_at DESC, id DESC LIMIT 15""")
    metrics = db.all(t, """
        SELECT m.model, o.metric, o.value FROM cfrec_models m, LATERAL cfrec_online_metrics(m.model) o
        ORDER BY m.model, o.metric""")
    clusters = []
    if model in served_models() and any(r["model"] == model for r in rows):
        clusters = db.all(t, """
            SELECT c.cluster, c.size, string_agg(coalesce(m.title, c.item_id::text), ' · ' ORDER BY c.rank) AS films
            FROM cfrec_describe_clusters(%s, 5, 'items', iterations => 10, top => 4) c
            LEFT JOIN movies m ON m.movie_id = c.item_id GROUP BY c.cluster, c.size ORDER BY c.cluster""", (model,))
    online = {}
    for m in metrics:
        online.setdefault(m["model"], {})[m["metric"]] = m["value"]
    last_run = next((r for r in runs if r["iterations"]), None)
    curve = json.loads(last_run["iterations"]) if last_run and isinstance(last_run["iterations"], str) \
        else (last_run["iterations"] if last_run else [])
    oldest_first = list(reversed(runs))
    return page(request, "models.html", models=rows, runs=runs, online=online, clusters=clusters, model=model,
                run_chart=chart("bar", [f"{r['model']} {r['started_at']:%m-%d %H:%M}" for r in oldest_first],
                                [r["seconds"] for r in oldest_first], "seconds"),
                loss_chart=chart("line", [p["iteration"] for p in curve], [p["loss"] for p in curve],
                                 f"loss, {last_run['model']}" if last_run else "loss"),
                last_run=last_run)
