"""Bearer-token authentication: with a key configured, a user's data is read
and changed only with a token for that user."""
import base64
import hashlib
import hmac
import json
import time
import uuid

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi.testclient import TestClient

from cfrec_app.auth import TokenRules, rules_from_environment
from cfrec_app.main import create_app

SECRET = "a test secret of at least thirty-two characters"


def token(user, key=SECRET, algorithm="HS256", lifetime=600, **claims):
    return jwt.encode({"sub": str(user), "exp": int(time.time()) + lifetime, **claims}, key, algorithm=algorithm)


def hmac_token(claims, key: bytes):
    """An HS256 token made by hand: PyJWT itself refuses a PEM key as an HMAC secret."""
    def part(data):
        return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=")
    signed = part({"alg": "HS256", "typ": "JWT"}) + b"." + part(claims)
    signature = base64.urlsafe_b64encode(hmac.new(key, signed, hashlib.sha256).digest()).rstrip(b"=")
    return (signed + b"." + signature).decode()


def bearer(value):
    return {"authorization": f"Bearer {value}"}


@pytest.fixture(scope="module")
def guarded(url):
    with TestClient(create_app(url, TokenRules(key=SECRET, algorithms=["HS256"], audience=None,
                                               issuer=None))) as c:
        yield c


@pytest.mark.parametrize("path", ["/users/1", "/recommendations/1"])
def test_a_users_data_needs_their_token(guarded, path):
    missing = guarded.get(path)
    assert missing.status_code == 401
    assert missing.headers["www-authenticate"].startswith("Bearer")
    assert guarded.get(path, headers=bearer(token(1))).status_code == 200
    assert guarded.get(path, headers=bearer(token(2))).status_code == 403


@pytest.mark.parametrize("bad", [
    token(1, lifetime=-3600),                               # expired
    token(1, key="another secret of thirty-two characters!"),  # signed by someone else
    jwt.encode({"sub": "1", "exp": int(time.time()) + 600}, None, algorithm="none"),  # unsigned
    jwt.encode({"sub": "1"}, SECRET, algorithm="HS256"),    # no expiry
    jwt.encode({"exp": int(time.time()) + 600}, SECRET, algorithm="HS256"),  # no subject
])
def test_bad_tokens_are_refused(guarded, bad):
    response = guarded.get("/users/1", headers=bearer(bad))
    assert response.status_code == 401, response.text
    assert 'error="invalid_token"' in response.headers["www-authenticate"]


def test_a_rating_needs_the_raters_token_and_nothing_is_stored_without_it(guarded):
    user = 800000000 + uuid.uuid4().int % 1000000
    rating = {"user_id": user, "movie_id": 1, "rating": 4}
    assert guarded.post("/ratings", json=rating).status_code == 401
    assert guarded.post("/ratings", json=rating, headers=bearer(token(user + 1))).status_code == 403
    assert guarded.get(f"/users/{user}", headers=bearer(token(user))).status_code == 404  # nothing stored
    response = guarded.post("/ratings", json=rating, headers=bearer(token(user)))
    assert response.status_code == 201, response.text
    assert guarded.get(f"/users/{user}", headers=bearer(token(user))).json()["ratings"] == 1


def test_feedback_only_from_the_user_served(guarded):
    served = guarded.get("/recommendations/1?k=3", headers=bearer(token(1))).json()
    reaction = {"session_id": served["session_id"], "movie_id": served["films"][0]["movie_id"]}
    assert guarded.post("/feedback", json=reaction).status_code == 401
    assert guarded.post("/feedback", json=reaction, headers=bearer(token(2))).status_code == 403
    response = guarded.post("/feedback", json=reaction, headers=bearer(token(1)))
    assert response.status_code == 200, response.text


def test_shared_pages_need_no_token(guarded):
    for path in ("/health", "/popular?k=3", "/movies/1", "/movies/1/similar?k=3", "/recommendations?liked=1,2"):
        assert guarded.get(path).status_code == 200, path
    page = guarded.get("/?user=1").text
    assert "only to that user" in page and 'class="score"' not in page


@pytest.mark.parametrize("header", ["Bearer", "Bearer ", "Basic dXNlcjpwYXNz", "Bearer a.b.c", "Bearer %00",
                                    "Bearer " + "x" * 60000, "bearer \u00e9\u00e9", "Bearer ..", "Bearer e30.e30.e30"])
def test_hostile_authorization_headers_are_a_401(guarded, header):
    response = guarded.get("/users/1", headers={"authorization": header.encode("utf-8")})
    assert response.status_code == 401, response.text


def test_public_key_tokens(url, tmp_path):
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = private.public_key().public_bytes(serialization.Encoding.PEM,
                                            serialization.PublicFormat.SubjectPublicKeyInfo)
    (tmp_path / "key.pem").write_bytes(pem)
    rules = TokenRules(key=pem.decode(), algorithms=["RS256"], audience="cfrec-app", issuer=None)
    with TestClient(create_app(url, rules)) as client:
        good = token(1, key=private, algorithm="RS256", aud="cfrec-app")
        assert client.get("/users/1", headers=bearer(good)).status_code == 200
        other_audience = token(1, key=private, algorithm="RS256", aud="another-app")
        assert client.get("/users/1", headers=bearer(other_audience)).status_code == 401
        # An HMAC token keyed with the public key itself (algorithm confusion) is refused.
        forged = hmac_token({"sub": "1", "exp": int(time.time()) + 600, "aud": "cfrec-app"}, pem)
        assert client.get("/users/1", headers=bearer(forged)).status_code == 401


def test_rules_from_the_environment(monkeypatch, tmp_path):
    for name in ("CFREC_APP_JWT_SECRET", "CFREC_APP_JWT_PUBLIC_KEY_FILE", "CFREC_APP_JWT_ALGORITHMS"):
        monkeypatch.delenv(name, raising=False)
    assert rules_from_environment() is None
    monkeypatch.setenv("CFREC_APP_JWT_SECRET", "short")
    with pytest.raises(RuntimeError, match="at least 32"):
        rules_from_environment()
    monkeypatch.setenv("CFREC_APP_JWT_SECRET", SECRET)
    assert rules_from_environment().algorithms == ["HS256"]
    monkeypatch.setenv("CFREC_APP_JWT_ALGORITHMS", "HS256,none")
    with pytest.raises(RuntimeError, match="none"):
        rules_from_environment()
