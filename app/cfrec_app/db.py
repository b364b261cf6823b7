"""The database: a connection pool, and PostgreSQL errors turned into HTTP ones.

Every query names its parameters; nothing is pasted into SQL text."""
import os
import time
from contextlib import contextmanager

import psycopg
from fastapi import HTTPException
from psycopg.rows import dict_row
from psycopg_pool import ConnectionPool

# SQLSTATEs that mean the request was wrong, not the server.
_CLIENT_ERRORS = {
    "42704": 404,  # undefined_object: no such model or session
    "22023": 422,  # invalid_parameter_value
    "22004": 422,  # null_value_not_allowed
    "2202E": 422,  # array_subscript_error
    "22007": 422,  # invalid_datetime_format (an interval)
    "22P02": 422,  # invalid_text_representation
    "22003": 422,  # numeric_value_out_of_range
    "42622": 422,  # name_too_long
    "42501": 403,  # insufficient_privilege
    "25006": 409,  # read_only_sql_transaction: a standby
    "55000": 422,  # object_not_in_prerequisite_state (since needs a watermark)
}


class Database:
    """A small pool; `seconds` adds up the time spent in the database for the
    request that is being served (the Server-Timing header reports it)."""

    def __init__(self, url: str, size: int = 4):
        self.pool = ConnectionPool(url, min_size=1, max_size=size, open=True, configure=self._configure,
                                   kwargs={"row_factory": dict_row, "autocommit": True})

    @staticmethod
    def _configure(conn):
        # Impressions and reactions (cfrec_serve, cfrec_feedback) are
        # telemetry: a crash may lose their last fraction of a second, never
        # corrupt them, and serving skips a WAL flush per call. POST /ratings
        # turns it back on for its own transaction.
        conn.execute("SET synchronous_commit = off")

    def close(self):
        self.pool.close()

    @contextmanager
    def cursor(self, timing: list):
        started = time.perf_counter()
        try:
            with self.pool.connection() as conn, conn.cursor() as cur:
                yield cur
        except psycopg.Error as error:
            state = getattr(error, "sqlstate", None)
            if state in _CLIENT_ERRORS:
                raise HTTPException(_CLIENT_ERRORS[state], detail=error.diag.message_primary) from error
            # Any other data exception (class 22: an interval out of range, a
            # bad byte) comes from a value the client sent, and so does a
            # value psycopg refuses before sending it (a NUL in a string).
            if (state or "").startswith("22") or (state is None and isinstance(error, psycopg.DataError)):
                raise HTTPException(422, detail=error.diag.message_primary or str(error)) from error
            raise
        finally:
            timing.append(time.perf_counter() - started)

    def all(self, timing: list, sql: str, params=()):
        with self.cursor(timing) as cur:
            cur.execute(sql, params)
            return cur.fetchall()

    def one(self, timing: list, sql: str, params=()):
        rows = self.all(timing, sql, params)
        return rows[0] if rows else None


def database_url() -> str:
    """$DATABASE_URL, else libpq's own environment (PGHOST, PGDATABASE, ...)."""
    return os.environ.get("DATABASE_URL", "")
