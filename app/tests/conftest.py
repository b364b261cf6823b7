"""The app's tests run against a real database: $DATABASE_URL (a libpq
connection string) names one with MovieLens-shaped tables and a model
'default' trained on `ratings` (test/shell/app.sh makes it)."""
import os
import pathlib
import sys

import pytest
from fastapi.testclient import TestClient

ROOT = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "app"))
sys.path.insert(0, str(ROOT / "examples"))

from cfrec_app.main import create_app  # noqa: E402


@pytest.fixture(scope="session")
def url():
    value = os.environ.get("DATABASE_URL")
    if not value:
        pytest.fail("DATABASE_URL is not set: run test/shell/app.sh")
    return value


@pytest.fixture(scope="session")
def client(url):
    with TestClient(create_app(url)) as c:
        yield c
