"""Optional bearer-token authentication (JWT).

Off unless the server is given a key: $CFREC_APP_JWT_SECRET (HMAC, HS256 by
default) or $CFREC_APP_JWT_PUBLIC_KEY_FILE (a PEM public key, RS256 by
default); $CFREC_APP_JWT_ALGORITHMS, $CFREC_APP_JWT_AUDIENCE and
$CFREC_APP_JWT_ISSUER narrow what is accepted. When on, the endpoints that
read or change one user's data take only a token whose `sub` is that user's
id and that has not expired: the identity provider that issued it vouches
for the user, the app only checks it.
"""
import os
from dataclasses import dataclass
from typing import List, Optional

import jwt
from fastapi import HTTPException, Request

LEEWAY_SECONDS = 30  # clocks of the issuer and this server may differ a little


@dataclass(frozen=True)
class TokenRules:
    key: str
    algorithms: List[str]
    audience: Optional[str]
    issuer: Optional[str]


def rules_from_environment() -> Optional[TokenRules]:
    """The server's rules for tokens, or None when authentication is off."""
    secret = os.environ.get("CFREC_APP_JWT_SECRET")
    key_file = os.environ.get("CFREC_APP_JWT_PUBLIC_KEY_FILE")
    if secret and key_file:
        raise RuntimeError("set CFREC_APP_JWT_SECRET or CFREC_APP_JWT_PUBLIC_KEY_FILE, not both")
    if not secret and not key_file:
        return None
    if secret and len(secret) < 32:
        # A short HMAC secret can be found offline from any one token.
        raise RuntimeError("CFREC_APP_JWT_SECRET must be at least 32 characters")
    key = secret or open(key_file, encoding="ascii").read()
    default = "HS256" if secret else "RS256"
    algorithms = [a.strip() for a in os.environ.get("CFREC_APP_JWT_ALGORITHMS", default).split(",") if a.strip()]
    if "none" in (a.lower() for a in algorithms):
        raise RuntimeError("CFREC_APP_JWT_ALGORITHMS may not include 'none'")
    return TokenRules(key=key, algorithms=algorithms,
                      audience=os.environ.get("CFREC_APP_JWT_AUDIENCE") or None,
                      issuer=os.environ.get("CFREC_APP_JWT_ISSUER") or None)


def unauthorized(error: str, description: str) -> HTTPException:
    # RFC 6750: the client learns that a bearer token is wanted, and why this one was not taken.
    return HTTPException(401, detail=description,
                         headers={"WWW-Authenticate": f'Bearer realm="cfrec", error="{error}"'})


def token_subject(request: Request) -> Optional[str]:
    """The verified `sub` of the request's token; None when authentication is off."""
    rules: Optional[TokenRules] = request.app.state.token_rules
    if rules is None:
        return None
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise HTTPException(401, detail="this endpoint needs a bearer token for the user",
                            headers={"WWW-Authenticate": 'Bearer realm="cfrec"'})
    try:
        claims = jwt.decode(token.strip(), rules.key, algorithms=rules.algorithms, audience=rules.audience,
                            issuer=rules.issuer, leeway=LEEWAY_SECONDS,
                            options={"require": ["exp", "sub"]})
    except jwt.ExpiredSignatureError:
        raise unauthorized("invalid_token", "the token has expired")
    except jwt.InvalidTokenError as error:
        raise unauthorized("invalid_token", f"the token was not accepted: {error}")
    return str(claims["sub"])


def require_user(request: Request, user_id: int) -> None:
    """Refuses the request unless authentication is off or its token is user_id's."""
    subject = token_subject(request)
    if subject is not None and subject != str(user_id):
        raise HTTPException(403, detail=f"the token is not for user {user_id}")
