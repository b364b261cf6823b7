"""examples/sqlalchemy_recommend.py: the ORM example gives the API's answers."""
import psycopg2
from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from sqlalchemy_recommend import recommend_titles


def test_orm_example_matches_the_api(client, url):
    # The test database is named by a libpq string, not a URL.
    engine = create_engine("postgresql+psycopg2://", creator=lambda: psycopg2.connect(url))
    with Session(engine) as session:
        rows = recommend_titles(session, 1, k=5)
    engine.dispose()
    api = [f["title"] for f in client.get("/recommendations/1?k=5").json()["films"]]
    assert [title for title, _, _ in rows] == api
    scores = [score for _, _, score in rows]
    assert scores == sorted(scores, reverse=True)
