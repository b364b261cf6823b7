"""The REST API against a real database."""
import json
import uuid

import pytest


def films(response):
    assert response.status_code == 200, response.text
    return response.json()["films"]


def a_known_user(client):
    return client.get("/users/1").json()["user_id"]


def test_health(client):
    body = client.get("/health").json()
    assert body["database"] == "ok"
    assert body["cfrec"]
    assert "default" in [m["model"] for m in body["models"]]


def test_recommendations_have_titles_and_a_session(client):
    body = client.get("/recommendations/1?k=5").json()
    assert body["source"] == "model"
    assert len(body["films"]) == 5
    assert all(f["title"] for f in body["films"])
    assert [f["rank"] for f in body["films"]] == [1, 2, 3, 4, 5]
    uuid.UUID(body["session_id"])
    seen = {r["movie_id"] for r in client.get("/users/1?limit=10000").json()["recent"]}
    assert not seen & {f["movie_id"] for f in body["films"]}


def test_recommendations_explained(client):
    rated = {r["movie_id"] for r in client.get("/users/1?limit=10000").json()["recent"]}
    genre = client.get("/movies/1").json()["genres"][0]
    for path in ("/recommendations/1?k=5&explain=true", f"/recommendations/1?k=5&explain=true&genre={genre}"):
        rows = films(client.get(path))
        assert len(rows) == 5
        for film in rows:
            reasons = film["because_you_liked"]
            assert 1 <= len(reasons) <= 3, film
            assert {r["movie_id"] for r in reasons} <= rated
            assert all(r["title"] for r in reasons)
            shares = [r["contribution"] for r in reasons]
            assert shares == sorted(shares, reverse=True) and shares[-1] > 0
    assert "because_you_liked" not in films(client.get("/recommendations/1?k=2"))[0]
    # A user the model does not know gets popular films, which no item of theirs explains.
    assert "because_you_liked" not in films(client.get("/recommendations/987654321?k=2&explain=true"))[0]


def test_unknown_user_gets_popular_films(client):
    body = client.get("/recommendations/987654321?k=3").json()
    assert body["source"] == "popular"
    assert body["session_id"] is None
    popular = films(client.get("/popular?k=3"))
    assert [f["movie_id"] for f in body["films"]] == [f["movie_id"] for f in popular]


def test_genre_filter(client):
    genre = client.get("/movies/1").json()["genres"][0]
    rows = films(client.get(f"/recommendations/1?k=5&genre={genre}"))
    assert rows and all(genre in f["genres"] for f in rows)
    rows = films(client.get(f"/popular?k=5&genre={genre}"))
    assert rows and all(genre in f["genres"] for f in rows)


def test_anonymous_recommendations(client):
    rows = films(client.get("/recommendations?liked=1,2,3&k=5"))
    assert len(rows) == 5 and all(f["title"] for f in rows)


def test_movie_and_similar(client):
    movie = client.get("/movies/1").json()
    assert movie["title"] and movie["ratings"] > 0
    similar = client.get("/movies/1/similar?k=4").json()["similar"]
    assert len(similar) == 4 and all(s["title"] for s in similar)
    assert 1 not in [s["movie_id"] for s in similar]


def test_user_ratings_most_recent_first(client):
    recent = client.get("/users/1?limit=20").json()["recent"]
    times = [r["rated_at"] for r in recent]
    assert times == sorted(times, reverse=True)


def test_posted_ratings_change_a_new_users_recommendations(client):
    user = 900000000 + uuid.uuid4().int % 1000000
    before = client.get(f"/recommendations/{user}?k=10").json()
    assert before["source"] == "popular"
    # The films most similar to film 1: liking them should pull in their neighbours.
    liked = [1] + [s["movie_id"] for s in client.get("/movies/1/similar?k=4").json()["similar"]]
    for movie in liked:
        response = client.post("/ratings", json={"user_id": user, "movie_id": movie, "rating": 5})
        assert response.status_code == 201, response.text
        assert response.json()["refreshed_users"] == 1
    after = client.get(f"/recommendations/{user}?k=10").json()
    assert after["source"] == "model"
    after_ids = [f["movie_id"] for f in after["films"]]
    assert not set(liked) & set(after_ids)
    assert after_ids != [f["movie_id"] for f in before["films"]]


def test_feedback_and_online_metrics(client):
    before = client.get("/metrics/online?k=3").json()["metrics"]
    served = client.get("/recommendations/1?k=3").json()
    response = client.post("/feedback", json={"session_id": served["session_id"],
                                              "movie_id": served["films"][0]["movie_id"], "liked": True})
    assert response.status_code == 200, response.text
    after = client.get("/metrics/online?k=3").json()["metrics"]
    assert after["sessions"] == before["sessions"] + 1
    assert after["likes"] == before["likes"] + 1


@pytest.mark.parametrize("method, path, body, status", [
    ("get", "/movies/2147483000", None, 404),
    ("get", "/movies/abc", None, 422),
    ("get", "/movies/99999999999999999999999", None, 422),
    ("get", "/movies/2147483000/similar", None, 404),
    ("get", "/users/2147483000", None, 404),
    ("get", "/recommendations/1?model=no_such_model", None, 404),
    ("get", "/recommendations/1?k=0", None, 422),
    ("get", "/recommendations/1?k=100000", None, 422),
    ("get", "/recommendations/1?genre=No%20such%20genre", None, 404),
    ("get", "/recommendations?liked=a,b", None, 422),
    ("get", "/recommendations", None, 422),
    ("get", "/popular?since=bogus", None, 422),
    ("get", "/popular?since=1%20day", None, 422),  # the model has no watermark column
    ("get", "/metrics/online?model=no_such_model", None, 404),
    ("post", "/ratings", {"user_id": 1, "movie_id": 2147483000, "rating": 4}, 404),
    ("post", "/ratings", {"user_id": 1, "movie_id": 1, "rating": 9}, 422),
    ("post", "/ratings", {"user_id": "x", "movie_id": 1, "rating": 4}, 422),
    ("post", "/ratings", {"movie_id": 1}, 422),
    ("post", "/feedback", {"session_id": str(uuid.UUID(int=0)), "movie_id": 1}, 404),
    ("post", "/feedback", {"session_id": "not-a-uuid", "movie_id": 1}, 422),
])
def test_bad_input_is_a_4xx(client, method, path, body, status):
    response = getattr(client, method)(path, json=body) if body is not None else getattr(client, method)(path)
    assert response.status_code == status, response.text
    assert "detail" in response.json()


def test_feedback_for_a_film_not_shown(client):
    served = client.get("/recommendations/1?k=3").json()
    shown = {f["movie_id"] for f in served["films"]}
    other = next(m for m in range(1, 100000) if m not in shown)
    response = client.post("/feedback", json={"session_id": served["session_id"], "movie_id": other})
    assert response.status_code == 422


def test_docs_are_served_offline(client):
    page = client.get("/docs").text
    assert "/vendor/swagger-ui/swagger-ui-bundle.js" in page
    assert "http://" not in page.replace("http://www.w3.org", "") and "https://" not in page
    for asset in ("swagger-ui-bundle.js", "swagger-ui.css"):
        assert client.get(f"/vendor/swagger-ui/{asset}").status_code == 200
    assert client.get("/vendor/chart.js/chart.min.js").status_code == 200
    assert "/recommendations/{user_id}" in client.get("/openapi.json").json()["paths"]


@pytest.mark.parametrize("path, charts", [("/", 2), ("/?user=1", 2), ("/dashboard/users", 3),
                                          ("/dashboard/models", 2)])
def test_dashboard_pages(client, path, charts):
    response = client.get(path)
    assert response.status_code == 200
    assert response.text.count("<canvas data-chart=") == charts
    assert "db;dur=" in response.headers["server-timing"]
    if path == "/?user=1":
        assert response.text.count('class="because"') == 12


# Hostile values for every parameter and header: a 4xx (or a 2xx), never a 500.
HOSTILE = ["%00", "a%00b", "-1", "0", "9" * 40, "1e400", "NaN", "Infinity", "%27%3B%20DROP%20TABLE%20ratings%3B--",
           "x" * 5000, "%F0%9F%8E%AC", "1000000000%20years", "-1000000000%20years", "null", "%5B%5D"]
ENDPOINTS = ["/recommendations/{v}", "/recommendations/1?k={v}", "/recommendations/1?model={v}",
             "/recommendations/1?genre={v}", "/recommendations?liked={v}", "/recommendations?liked=1&model={v}",
             "/movies/{v}", "/movies/1/similar?k={v}", "/movies/1/similar?model={v}", "/users/{v}",
             "/users/1?limit={v}", "/popular?since={v}", "/popular?k={v}", "/popular?genre={v}",
             "/popular?model={v}", "/metrics/online?days={v}", "/metrics/online?k={v}",
             "/metrics/online?model={v}", "/?user={v}", "/?model={v}", "/dashboard/models?model={v}"]


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_hostile_values_never_a_500(client, endpoint):
    for value in HOSTILE:
        response = client.get(endpoint.format(v=value))
        assert response.status_code < 500, f"{endpoint.format(v=value)}: {response.status_code} {response.text[:200]}"


@pytest.mark.parametrize("body", [{"user_id": "%00", "movie_id": 1, "rating": 4},
                                  {"session_id": "\u0000", "movie_id": 1},
                                  {"user_id": 1, "movie_id": 1, "rating": float("nan")}])
def test_hostile_bodies_never_a_500(client, body):
    for path in ("/ratings", "/feedback"):
        response = client.post(path, content=json.dumps(body, allow_nan=True),
                               headers={"content-type": "application/json"})
        assert response.status_code < 500, response.text


@pytest.mark.parametrize("headers", [{"content-type": "text/plain"}, {"content-type": "application/json; charset=x"},
                                     {b"accept": b"\xff" * 100}, {"x-forwarded-for": "%00"},
                                     {"content-length": "99999999999999999999"}])
def test_hostile_headers_never_a_500(client, headers):
    assert client.get("/recommendations/1", headers=headers).status_code < 500
    assert client.post("/ratings", content=b"{}", headers=headers).status_code < 500


def test_request_bodies_are_bounded(client):
    big = b'{"user_id": 1, "movie_id": 1, "rating": 4, "pad": "' + b"x" * (1 << 20) + b'"}'
    response = client.post("/ratings", content=big, headers={"content-type": "application/json"})
    assert response.status_code == 413


def test_models_are_chosen_by_the_server(client):
    # A model that exists but is not in $CFREC_APP_MODELS is not served or refreshed.
    response = client.post("/ratings?model=other", json={"user_id": 1, "movie_id": 1, "rating": 4})
    assert response.status_code == 404
    assert "not served here" in response.json()["detail"]
    assert client.get("/recommendations/1?model=other").status_code == 404
