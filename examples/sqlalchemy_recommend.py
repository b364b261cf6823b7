"""cfrec from an ORM: SQLAlchemy (Debian's python3-sqlalchemy, 1.4) calls
cfrec_recommend as a table-valued function and joins it to a mapped table.

    DATABASE_URL=postgresql+psycopg2://... python3 examples/sqlalchemy_recommend.py 1
"""
import os
import sys

from sqlalchemy import Column, Integer, Text, create_engine, func, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session, declarative_base

Base = declarative_base()


class Movie(Base):
    __tablename__ = "movies"
    movie_id = Column(Integer, primary_key=True)
    title = Column(Text, nullable=False)
    year = Column(Integer)
    genres = Column(ARRAY(Text))


def recommend_titles(session: Session, user_id: int, k: int = 10, model: str = "default"):
    """(title, year, score) of a user's top k films, best first."""
    recs = func.cfrec_recommend(user_id, k, model).table_valued("item_id", "score").render_derived("r")
    query = (select(Movie.title, Movie.year, recs.c.score)
             .join(recs, recs.c.item_id == Movie.movie_id)
             .order_by(recs.c.score.desc(), Movie.movie_id))
    return session.execute(query).all()


def main():
    engine = create_engine(os.environ["DATABASE_URL"])
    with Session(engine) as session:
        for title, year, score in recommend_titles(session, int(sys.argv[1]) if len(sys.argv) > 1 else 1):
            print(f"{score:7.3f}  {title}")


if __name__ == "__main__":
    main()
