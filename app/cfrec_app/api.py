"""The JSON API. Every model answer is a cfrec SQL call; titles come from a
join with the `movies` table that scripts/load-movielens makes."""
import os
from typing import List, Optional
from uuid import UUID

from fastapi import APIRouter, HTTPException, Path, Query, Request
from pydantic import BaseModel, Field

from .auth import require_user, token_subject
from .explanations import because_you_liked

router = APIRouter()

MODEL = Query("default", min_length=1, max_length=1024, description="cfrec model name")
K = Query(10, ge=1, le=1000, description="how many films")
USER = Path(..., ge=-2**63, le=2**63 - 1, description="a user id")
MOVIE = Path(..., ge=-2**63, le=2**63 - 1, description="a MovieLens movie id")

MOVIE_COLUMNS = "m.title, m.year, m.genres"


def db(request: Request):
    return request.app.state.db


def timing(request: Request) -> list:
    return request.state.db_seconds


def served_models() -> set:
    """The models clients may name: $CFREC_APP_MODELS (comma-separated),
    'default' when unset. The server decides, not an anonymous client: a
    POST /ratings refreshes the model it names."""
    return {m.strip() for m in os.environ.get("CFREC_APP_MODELS", "default").split(",") if m.strip()}


def require_served(model: str):
    if model not in served_models():
        raise HTTPException(404, detail=f'cfrec model "{model}" is not served here')


def require_model(request: Request, model: str):
    require_served(model)
    if db(request).one(timing(request), "SELECT 1 AS ok FROM cfrec_models WHERE model = %s", (model,)) is None:
        raise HTTPException(404, detail=f'cfrec model "{model}" does not exist')


def require_movie(request: Request, movie_id: int):
    movie = db(request).one(timing(request),
                            "SELECT movie_id, title, year, genres FROM movies WHERE movie_id = %s", (movie_id,))
    if movie is None:
        raise HTTPException(404, detail=f"movie {movie_id} does not exist")
    return movie


def require_genre(request: Request, genre: Optional[str]):
    if genre is not None and db(request).one(
            timing(request), "SELECT 1 AS ok FROM movies WHERE %s = ANY (genres) LIMIT 1", (genre,)) is None:
        raise HTTPException(404, detail=f'no film has the genre "{genre}"')


@router.get("/health", tags=["service"])
def health(request: Request):
    """The database answers; cfrec's version and models."""
    version = db(request).one(timing(request),
                              "SELECT extversion FROM pg_extension WHERE extname = 'cfrec'")
    if version is None:
        raise HTTPException(503, detail="the cfrec extension is not installed in this database")
    models = db(request).all(timing(request),
                             "SELECT model, feedback, algorithm, users, items, trained_at "
                             "FROM cfrec_models ORDER BY model")
    return {"database": "ok", "cfrec": version["extversion"], "models": models}


@router.get("/recommendations/{user_id}", tags=["recommendations"])
def recommendations(request: Request, user_id: int = USER, k: int = K, model: str = MODEL,
                    genre: Optional[str] = Query(None, max_length=100),
                    explain: bool = Query(False, description="add each film's because_you_liked (cfrec_explain)")):
    """A user's top k films. Without a genre the list is served through
    cfrec_serve, whose session_id /feedback takes. A user the model does not
    know gets the most popular films (source "popular"). With explain=true,
    each film of a known user lists the user's films that add most to its
    score ("because you liked …")."""
    require_user(request, user_id)
    require_served(model)
    # One round trip for the checks: the model, the genre, and the user.
    found = db(request).one(timing(request), """
        SELECT EXISTS (SELECT FROM cfrec_models WHERE model = %(model)s) AS model,
               %(genre)s::text IS NULL OR EXISTS (SELECT FROM movies WHERE %(genre)s = ANY (genres)) AS genre,
               EXISTS (SELECT FROM cfrec_user_factors WHERE model = %(model)s AND id = %(user)s) AS known""",
                            {"model": model, "genre": genre, "user": user_id})
    if not found["model"]:
        raise HTTPException(404, detail=f'cfrec model "{model}" does not exist')
    if not found["genre"]:
        raise HTTPException(404, detail=f'no film has the genre "{genre}"')
    known = found["known"]
    def reasons(item: str) -> str:
        return f", {because_you_liked(item)} AS because_you_liked" if explain and known else ""
    if known and genre is None:
        rows = db(request).all(timing(request), f"""
            SELECT s.session_id, s.rank, s.item_id AS movie_id, s.score, {MOVIE_COLUMNS}{reasons('s.item_id')}
            FROM cfrec_serve(%(user)s, %(k)s, %(model)s) s
            LEFT JOIN movies m ON m.movie_id = s.item_id ORDER BY s.rank""",
                               {"user": user_id, "k": k, "model": model})
        session = rows[0]["session_id"] if rows else None
        for row in rows:
            del row["session_id"]
    else:
        rows = db(request).all(timing(request), f"""
            SELECT r.rank::int, r.item_id AS movie_id, r.score, {MOVIE_COLUMNS}{reasons('r.item_id')}
            FROM cfrec_recommend(%(user)s, %(k)s, %(model)s, include =>
                     CASE WHEN %(genre)s::text IS NULL THEN NULL ELSE
                          ARRAY(SELECT g.movie_id::bigint FROM movies g WHERE %(genre)s = ANY (g.genres)) END)
                 WITH ORDINALITY r(item_id, score, rank)
            LEFT JOIN movies m ON m.movie_id = r.item_id ORDER BY r.rank""",
                               {"user": user_id, "k": k, "model": model, "genre": genre})
        session = None
    return {"user_id": user_id, "model": model, "source": "model" if known else "popular",
            "session_id": session, "genre": genre, "films": rows}


@router.get("/recommendations", tags=["recommendations"])
def anonymous_recommendations(request: Request,
                              liked: str = Query(..., max_length=10000, regex=r"^\s*\d+(\s*,\s*\d+)*\s*$",
                                                 description="films the visitor liked: 1,2,3"),
                              k: int = K, model: str = MODEL):
    """Recommendations for someone without an account, from films they liked
    (cfrec_recommend_for_items folds them in on the fly)."""
    require_model(request, model)
    ids = [int(part) for part in liked.split(",")]
    rows = db(request).all(timing(request), f"""
        SELECT r.rank::int, r.item_id AS movie_id, r.score, {MOVIE_COLUMNS}
        FROM cfrec_recommend_for_items(%(ids)s::bigint[], k => %(k)s, model => %(model)s)
             WITH ORDINALITY r(item_id, score, rank)
        LEFT JOIN movies m ON m.movie_id = r.item_id ORDER BY r.rank""",
                           {"ids": ids, "k": k, "model": model})
    return {"liked": ids, "model": model, "films": rows}


@router.get("/movies/{movie_id}", tags=["movies"])
def movie(request: Request, movie_id: int = MOVIE):
    """A film, with its number of ratings and mean rating."""
    film = require_movie(request, movie_id)
    stats = db(request).one(timing(request),
                            "SELECT count(*) AS ratings, round(avg(rating)::numeric, 2)::float8 AS mean_rating "
                            "FROM ratings WHERE movie_id = %s", (movie_id,))
    return {**film, **stats}


@router.get("/movies/{movie_id}/similar", tags=["movies"])
def similar(request: Request, movie_id: int = MOVIE, k: int = K, model: str = MODEL):
    """The films whose factor vectors are closest (cosine) to this one's."""
    require_movie(request, movie_id)
    require_model(request, model)
    rows = db(request).all(timing(request), f"""
        SELECT s.item_id AS movie_id, s.similarity, {MOVIE_COLUMNS}
        FROM cfrec_similar_items(%(movie)s, %(k)s, %(model)s) s
        LEFT JOIN movies m ON m.movie_id = s.item_id ORDER BY s.similarity DESC""",
                           {"movie": movie_id, "k": k, "model": model})
    return {"movie_id": movie_id, "model": model, "similar": rows}


@router.get("/users/{user_id}", tags=["users"])
def user(request: Request, user_id: int = USER, limit: int = Query(50, ge=1, le=10000)):
    """A user's ratings, most recent first."""
    require_user(request, user_id)
    summary = db(request).one(timing(request),
                              "SELECT count(*) AS ratings, round(avg(rating)::numeric, 2)::float8 AS mean_rating, "
                              "min(rated_at) AS first_rated, max(rated_at) AS last_rated "
                              "FROM ratings WHERE user_id = %s", (user_id,))
    if summary["ratings"] == 0:
        raise HTTPException(404, detail=f"user {user_id} has no ratings")
    rows = db(request).all(timing(request), f"""
        SELECT r.movie_id, r.rating, r.rated_at, {MOVIE_COLUMNS}
        FROM ratings r JOIN movies m USING (movie_id)
        WHERE r.user_id = %s ORDER BY r.rated_at DESC NULLS LAST, r.movie_id LIMIT %s""", (user_id, limit))
    return {"user_id": user_id, **summary, "recent": rows}


class RatingIn(BaseModel):
    user_id: int = Field(..., ge=1, le=2**31 - 1)
    movie_id: int = Field(..., ge=1, le=2**31 - 1)
    rating: float = Field(..., ge=0.5, le=5.0)


@router.post("/ratings", tags=["users"], status_code=201)
def post_rating(request: Request, body: RatingIn, model: str = MODEL):
    """Stores a rating and folds the user into the model (cfrec_refresh_users)
    in the same transaction, so their next recommendations reflect it, for a
    new user too."""
    require_user(request, body.user_id)
    require_movie(request, body.movie_id)
    require_model(request, model)
    with db(request).cursor(timing(request)) as cur, cur.connection.transaction():
        cur.execute("SET LOCAL synchronous_commit = on")  # a rating is data, not telemetry (db.py)
        cur.execute("INSERT INTO ratings (user_id, movie_id, rating, rated_at) "
                    "VALUES (%s, %s, %s, now())", (body.user_id, body.movie_id, body.rating))
        cur.execute("SELECT cfrec_refresh_users(%s, ARRAY[%s]::bigint[]) AS refreshed", (model, body.user_id))
        refreshed = cur.fetchone()["refreshed"]
    return {**body.dict(), "model": model, "refreshed_users": refreshed}


class FeedbackIn(BaseModel):
    session_id: UUID
    movie_id: int = Field(..., ge=1, le=2**63 - 1)
    liked: bool = True


@router.post("/feedback", tags=["feedback"])
def post_feedback(request: Request, body: FeedbackIn):
    """A reaction to a film shown in a session (the session_id that
    /recommendations/{user_id} returned). With authentication on, only
    the user the session was served to may react to it."""
    if token_subject(request) is not None:
        session = db(request).one(timing(request),
                                  "SELECT user_id FROM cfrec_impressions WHERE session_id = %s LIMIT 1",
                                  (body.session_id,))
        if session is None:
            raise HTTPException(404, detail=f"session {body.session_id} does not exist")
        require_user(request, session["user_id"])
    db(request).one(timing(request), "SELECT cfrec_feedback(%s, %s, %s)",
                    (body.session_id, body.movie_id, body.liked))
    return {**body.dict(), "recorded": True}


@router.get("/popular", tags=["recommendations"])
def popular(request: Request, k: int = K, model: str = MODEL,
            genre: Optional[str] = Query(None, max_length=100),
            since: Optional[str] = Query(None, max_length=100,
                                         description="an interval, e.g. '30 days' (needs a watermarked model)")):
    """The most interacted films, optionally of one genre, or of the last `since`."""
    require_model(request, model)
    require_genre(request, genre)
    rows = db(request).all(timing(request), f"""
        SELECT p.item_id AS movie_id, p.interactions, {MOVIE_COLUMNS}
        FROM cfrec_popular(%(n)s, %(model)s, since => %(since)s::interval) p
        LEFT JOIN movies m ON m.movie_id = p.item_id
        WHERE %(genre)s::text IS NULL OR %(genre)s = ANY (m.genres)
        ORDER BY p.interactions DESC, p.item_id LIMIT %(k)s""",
                           {"n": k if genre is None else 1000000, "k": k, "model": model,
                            "since": since, "genre": genre})
    return {"model": model, "genre": genre, "since": since, "films": rows}


@router.get("/metrics/online", tags=["feedback"])
def online_metrics(request: Request, model: str = MODEL, k: int = Query(3, ge=1, le=1000),
                   days: float = Query(1.0, gt=0, le=36500)):
    """Precision, recall and click-through of the served lists (cfrec_online_metrics)."""
    require_served(model)
    rows = db(request).all(timing(request),
                           "SELECT metric, value FROM cfrec_online_metrics(%s, now() - make_interval(secs => %s), %s)",
                           (model, days * 86400, k))
    return {"model": model, "k": k, "days": days, "metrics": {r["metric"]: r["value"] for r in rows}}
