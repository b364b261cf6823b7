"""The application: the API, the dashboard, offline API docs, static files.

    uvicorn --factory cfrec_app.main:create_app   (scripts/app does this)
"""
import pathlib
import time
from typing import Optional

import psycopg
from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse
from fastapi.staticfiles import StaticFiles

from . import api, dashboard
from .auth import TokenRules, rules_from_environment
from .db import Database, database_url

HERE = pathlib.Path(__file__).resolve().parent
# Swagger UI's files, vendored by scripts/app from the npm package
# swagger-ui-dist; Chart.js from Debian's libjs-chart.js. Nothing from a CDN.
SWAGGER_UI = HERE.parent / "vendor" / "swagger-ui-dist"
CHART_JS = pathlib.Path("/usr/share/javascript/chart.js")
MAX_BODY_BYTES = 64 * 1024


def create_app(url: str = None, token_rules: Optional[TokenRules] = None) -> FastAPI:
    """token_rules: how bearer tokens are checked (auth.py); from the
    environment when not given, and no authentication when it sets none."""
    app = FastAPI(title="cfrec reference application",
                  description="Recommendations from cfrec's SQL functions, over MovieLens tables.",
                  version="1.0", docs_url=None, redoc_url=None)
    app.state.db = Database(url if url is not None else database_url())
    app.state.token_rules = token_rules if token_rules is not None else rules_from_environment()
    app.include_router(api.router)
    app.include_router(dashboard.router)
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    app.mount("/vendor/chart.js", StaticFiles(directory=CHART_JS, check_dir=False), name="chart.js")
    app.mount("/vendor/swagger-ui", StaticFiles(directory=SWAGGER_UI, check_dir=False), name="swagger-ui")

    @app.on_event("shutdown")
    def close_pool():
        app.state.db.close()

    @app.get("/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        return get_swagger_ui_html(openapi_url=app.openapi_url, title=app.title + " — API",
                                   swagger_js_url="/vendor/swagger-ui/swagger-ui-bundle.js",
                                   swagger_css_url="/vendor/swagger-ui/swagger-ui.css",
                                   swagger_favicon_url="/vendor/swagger-ui/favicon-32x32.png")

    @app.middleware("http")
    async def bounded_body(request: Request, call_next):
        # Every request body this API takes is a few hundred bytes: a larger
        # one, or one whose length is not said, is refused before it is read.
        if request.method in ("POST", "PUT", "PATCH"):
            length = request.headers.get("content-length")
            if length is None or not length.isdigit():
                return JSONResponse({"detail": "a request body needs a Content-Length"}, status_code=411)
            if int(length) > MAX_BODY_BYTES:
                return JSONResponse({"detail": f"request bodies are limited to {MAX_BODY_BYTES} bytes"},
                                    status_code=413)
        return await call_next(request)

    @app.middleware("http")
    async def server_timing(request: Request, call_next):
        # Where a request's time goes: the database (cfrec and the joins)
        # against the whole, for `curl -i` and bench/app-load.
        request.state.db_seconds = []
        started = time.perf_counter()
        response = await call_next(request)
        total = time.perf_counter() - started
        db = sum(request.state.db_seconds)
        response.headers["Server-Timing"] = f"db;dur={db * 1000:.2f}, total;dur={total * 1000:.2f}"
        return response

    @app.exception_handler(psycopg.OperationalError)
    def database_down(request: Request, error: psycopg.OperationalError):
        return JSONResponse({"detail": "the database is unreachable"}, status_code=503)

    @app.exception_handler(psycopg.Error)
    def database_error(request: Request, error: psycopg.Error):
        # Not a client mistake (those become 4xx in db.py): say what failed.
        return JSONResponse({"detail": f"database error {error.sqlstate}: {error.diag.message_primary}"},
                            status_code=500)

    return app
