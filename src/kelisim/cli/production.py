"""`kelisim serve --production`: gunicorn, with the checks that keep the consent log trustworthy.

The development server is convenient because it generates its secrets and accepts any database.
In production those conveniences are how evidence gets lost or forged, so this runner refuses to
start (one line, exit 2) unless:
* KELISIM_SECRET_KEY, KELISIM_TOKEN_KEYS and KELISIM_IP_PEPPER are set explicitly — a key generated
  into var/ on some machine is neither backed up nor rotated, and losing it invalidates every token;
  so is KELISIM_LOG_SIGNING_KEY, the key that signs the log's checkpoints (docs/log.md);
* the consent log is durable: SQLite in WAL mode with `synchronous=FULL` on the store's connections,
  or PostgreSQL with `synchronous_commit` on and `fsync` on (with either off, an
  acknowledged consent can vanish in a crash — tests/test_crash.py demonstrates it).

The schema (and SQLite's switch to WAL, and the rate limiter) is set up once in the master before
the workers fork: when every worker did it on its first connection, a cold start under load raced
for the exclusive lock and answered 500. Workers are gthread workers: a few threads per process let
the admission limit in src/kelisim/services/ratelimit.py answer an overloaded request with a fast
503 instead of leaving it in the socket backlog until the client times out.

Load shedding needs to know how long a request has already waited, and most of that wait happens
before the app sees it: a gthread worker accepts every connection it can (up to
`worker_connections`) and queues it for its thread pool, so under overload a request could spend
half a second in that queue and then be refused — a late 503 is no better than a timeout. The
worker class here (`queue_stamping_worker`) stamps each connection with a monotonic time when it is
queued (at accept, or when a kept-alive connection becomes readable). A consent POST whose wait
already exceeds the admission budget (`KELISIM_ADMISSION_WAIT_MS`) when a thread picks it up is
answered 503 by the worker itself, before Flask, the rate limiter or the database; any other
request reaches the app with the stamp in `environ["kelisim.queued_at"]`, and the consent API
waits for a write slot only for what is left of the budget (bench/overload.py,
tests/test_overload.py, docs/operations.md). The access log line gains `queued N ms`.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from kelisim.settings import Settings

__all__ = [
    "QUEUED_AT",
    "SHED_PATHS",
    "ProductionError",
    "check_durability",
    "check_secrets",
    "default_workers",
    "queue_stamping_worker",
    "serve",
]

REQUIRED_SECRETS = ("KELISIM_SECRET_KEY", "KELISIM_TOKEN_KEYS", "KELISIM_IP_PEPPER")
MIN_SECRET_LENGTH = 32
# SQLite allows one writer at a time: more workers only queue on its lock; 2 gave the best p99
# on a 2-core machine. On PostgreSQL too, appends are now batched per worker behind one
# row lock (kelisim.store.group_commit), so workers beyond the cores only make batches smaller and
# hand the lock over more often (bench/load.py, 16 connections on the shared 2-core machine:
# 170-210 acknowledged/s with 2 workers, 130-170/s with 5): one per core.
SQLITE_WORKERS = 2
MAX_WORKERS = 8
# A consent POST spends much of its time waiting for its batch's fsync (kelisim.store.group_commit),
# holding a thread but no CPU. With 8 threads per worker, 16 keep-alive connections already queued
# for threads past the 30 ms admission budget and were shed (bench/load.py on the shared 2-core
# machine: 152 of 1,740 shed with 8 threads, none with 32). Only 12 of them take consent POSTs at
# once (kelisim.settings.DEFAULT_MAX_IN_FLIGHT): the others stay free to answer 503s at once under
# overload. With 32 threads every runnable one waited its turn for the GIL and shed answers came
# late (tests/test_overload.py at twice capacity: p99 370-550 ms); with 16, admitted requests held
# most threads (p99 260-620 ms); with 24, p99 122-140 ms on the same busy machine.
THREADS = 24
# The WSGI environ key holding time.monotonic() of the moment the request was queued in gunicorn.
QUEUED_AT = "kelisim.queued_at"


class ProductionError(Exception):
    """A reason not to start, phrased as the one line an operator needs to fix it."""


def default_workers(database_url: str, cores: int | None = None) -> int:
    if database_url.startswith("sqlite"):
        return SQLITE_WORKERS
    return max(2, min(cores or os.cpu_count() or 1, MAX_WORKERS))


def check_secrets(settings: Settings) -> None:
    for name in REQUIRED_SECRETS:
        if name not in settings.explicit_secrets:
            raise ProductionError(
                f"{name} is not set; production needs explicit secrets, "
                "not the ones generated into the var directory"
            )
    values = {
        "KELISIM_SECRET_KEY": [settings.secret_key],
        "KELISIM_TOKEN_KEYS": list(settings.token_keys),
        "KELISIM_IP_PEPPER": [settings.ip_pepper],
    }
    for name, secrets_ in values.items():
        if any(len(value) < MIN_SECRET_LENGTH for value in secrets_):
            raise ProductionError(
                f"{name} is too short; use at least {MIN_SECRET_LENGTH} random characters "
                "(e.g. python -c 'import secrets; print(secrets.token_urlsafe(48))')"
            )
    if settings.secret_key == settings.ip_pepper or settings.secret_key in settings.token_keys:
        raise ProductionError("KELISIM_SECRET_KEY must differ from the token keys and the pepper")
    check_log_key(settings)


def check_log_key(settings: Settings) -> None:
    """The checkpoint key is what makes a receipt worth keeping: it must be the operator's own
    (set, backed up, published), never one generated on some machine's disk."""
    from kelisim.store.note import NoteError, Signer

    if "KELISIM_LOG_SIGNING_KEY" not in settings.explicit_secrets:
        raise ProductionError(
            "KELISIM_LOG_SIGNING_KEY is not set; production signs its log checkpoints with an "
            "explicit key (make one with `kelisim log keygen ORIGIN`)"
        )
    try:
        Signer.parse(settings.log_signing_key)
    except NoteError as error:
        raise ProductionError(f"KELISIM_LOG_SIGNING_KEY is not a signing key: {error}") from None


def check_durability(store: Any) -> None:
    """Raise ProductionError unless an acknowledged append survives a crash of app or database."""
    engine = store.engine
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            database = engine.url.database or ""
            if not database or database == ":memory:" or "mode=memory" in database:
                raise ProductionError("the SQLite database is in memory; give it a file")
            mode = conn.exec_driver_sql("PRAGMA journal_mode").scalar()
            if str(mode).lower() != "wal":
                raise ProductionError(
                    f"SQLite journal_mode is {mode}, not wal; run `kelisim db upgrade` on a "
                    "local file system that supports WAL"
                )
            synchronous = conn.exec_driver_sql("PRAGMA synchronous").scalar()
            if synchronous not in (2, 3):  # FULL, EXTRA
                raise ProductionError(
                    f"SQLite synchronous is {synchronous}, not FULL (2); acknowledged consents "
                    "could be lost on power failure"
                )
            return
        if engine.dialect.name == "postgresql":
            commit = conn.execute(text("SHOW synchronous_commit")).scalar()
            if str(commit).lower() in ("off", "false", "0", "no"):
                raise ProductionError(
                    "PostgreSQL synchronous_commit is off; acknowledged consents could be lost "
                    "in a crash (set it to on for this database and role)"
                )
            fsync = conn.execute(text("SHOW fsync")).scalar()
            if str(fsync).lower() != "on":
                raise ProductionError(
                    "PostgreSQL fsync is off; a crash could corrupt or lose the consent log"
                )
            return
        raise ProductionError(f"unsupported database {engine.dialect.name}")


def check_holidays(settings: Settings) -> None:
    """A bad holidays file refused once, in the master, rather than by every worker in a loop."""
    from kelisim.domain.workdays import WorkCalendarError, load_calendar

    try:
        load_calendar(settings.holidays_file)
    except WorkCalendarError as error:
        raise ProductionError(f"KELISIM_HOLIDAYS_FILE is not valid: {error}") from None


def prepare(settings: Settings) -> None:
    """The once-per-start work, in the master: checks and migrations (rate limits are tables)."""
    from kelisim.store import ConsentStore

    check_secrets(settings)
    check_holidays(settings)
    store = ConsentStore(settings.database_url)
    try:
        store.upgrade()
        check_durability(store)
    finally:
        store.close()


def _access_logger() -> type:
    """gunicorn's logger: an access line with neither the client IP nor a consent id, and error
    lines with addresses redacted and control characters escaped."""
    from gunicorn.glogging import Logger

    from kelisim.web.app import neutralise
    from kelisim.web.logsafe import LogHygieneFilter, redacted_path

    class AccessLog(Logger):
        def setup(self, cfg: Any) -> None:
            """gunicorn's own messages (`Invalid request from ip=…`) are cleaned like ours."""
            super().setup(cfg)
            for logger in (self.error_log, self.access_log):
                if not any(isinstance(f, LogHygieneFilter) for f in logger.filters):
                    logger.addFilter(LogHygieneFilter())

        def access(self, resp: Any, req: Any, environ: dict, request_time: Any) -> None:
            if not self.access_log_enabled:
                return
            path = neutralise(redacted_path(environ.get("PATH_INFO", "") or "/"))
            method = neutralise(str(environ.get("REQUEST_METHOD", "-")))
            status = str(getattr(resp, "status", "-")).split(" ", 1)[0]
            millis = request_time.total_seconds() * 1000
            queued_at = environ.get(QUEUED_AT)
            if isinstance(queued_at, float):
                # How long it waited for a thread before that: the figure load shedding acts on.
                queued = max(0.0, (time.monotonic() - queued_at) * 1000 - millis)
                self.access_log.info(
                    '"%s %s" %s %.1fms queued %.1fms', method, path, status, millis, queued
                )
                return
            self.access_log.info('"%s %s" %s %.1fms', method, path, status, millis)

    return AccessLog


# The endpoint whose requests are shed (the one that writes and fsyncs; reads stay cheap).
SHED_PATHS = frozenset({"/api/v1/consent"})


def _shed_response() -> tuple[str, list[tuple[str, str]], bytes]:
    """The consent API's 503 (kelisim.web.api.consents.overloaded), prebuilt: shedding must cost
    next to nothing."""
    from kelisim.web.api.consents import overloaded
    from kelisim.web.errors import PROBLEM_MIMETYPE
    from kelisim.web.headers import HSTS, NON_DOCUMENT_CSP

    error = overloaded()
    body = json.dumps(error.to_dict(), ensure_ascii=True, separators=(",", ":")).encode()
    headers = [
        ("Content-Type", PROBLEM_MIMETYPE),
        ("Content-Length", str(len(body))),
        ("Cache-Control", "no-store"),
        *error.headers.items(),
        ("Content-Security-Policy", NON_DOCUMENT_CSP),
        ("X-Content-Type-Options", "nosniff"),
        ("Referrer-Policy", "no-referrer"),
        ("Strict-Transport-Security", HSTS),
    ]
    return "503 Service Unavailable", headers, body


def queue_stamping_worker(shed_after: float | None) -> type:
    """gunicorn's gthread worker, shedding consent POSTs that waited `shed_after` s for a thread.

    The main loop of a gthread worker accepts connections and submits them to an unbounded thread
    pool queue; the app only runs once a thread is free. Stamping the connection in
    `enqueue_req` (new connections at accept, kept-alive ones when their next request arrives)
    measures that queueing where it happens. A consent POST that has already waited `shed_after`
    seconds when a thread picks it up is answered with the API's 503 right there, before Flask, the
    rate limiter or the database see it: under overload the shedding itself must stay far
    cheaper than serving, or the queue grows until every answer is late. Everything else goes to
    the app with `environ[QUEUED_AT]`, which the API counts against the same budget while it waits
    for a write slot (src/kelisim/web/api/consents.py). Nothing is ever shed after it reached the
    database.

    The prebuilt 503 carries the same CORS headers as the API's answers (kelisim.web.shed_cors), so
    a cross-origin banner reads it and retries the same event_id after Retry-After.
    """
    import threading

    from gunicorn.workers.gthread import ThreadWorker

    from kelisim.web.metric_families import shed_by_worker
    from kelisim.web.prefetch import prefetching
    from kelisim.web.shed_cors import cors_headers

    current = threading.local()
    status, headers, body = _shed_response()

    def shed(environ: dict, start_response: Callable, app: Any = None) -> list[bytes]:
        # Read the (small) body, so closing the connection cannot reset it under the answer.
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if 0 < length <= 64 * 1024:
            environ["wsgi.input"].read(length)
        # Readable cross-origin like every other API answer (kelisim.web.shed_cors).
        start_response(status, [*headers, *cors_headers(app, environ)])
        return [body]

    # Requests are read in the worker's event loop, so slow clients hold no thread
    # (kelisim.web.prefetch).
    class QueueStampingWorker(prefetching(ThreadWorker)):  # type: ignore[misc]
        def enqueue_req(self, conn: Any) -> None:
            conn.kelisim_queued_at = time.monotonic()
            super().enqueue_req(conn)

        def handle(self, conn: Any) -> Any:
            current.queued_at = getattr(conn, "kelisim_queued_at", None)
            try:
                return super().handle(conn)
            finally:
                current.queued_at = None

        def load_wsgi(self) -> None:
            super().load_wsgi()
            app = self.wsgi

            def stamped(environ: dict, start_response: Callable) -> Any:
                queued_at = getattr(current, "queued_at", None)
                if queued_at is not None:
                    environ[QUEUED_AT] = queued_at
                    if (
                        shed_after is not None
                        and time.monotonic() - queued_at >= shed_after
                        and environ.get("REQUEST_METHOD") == "POST"
                        and environ.get("PATH_INFO") in SHED_PATHS
                    ):
                        shed_by_worker()
                        return shed(environ, start_response, app)
                return app(environ, start_response)

            self.wsgi = stamped

    return QueueStampingWorker


def _fresh_metrics_dir(settings: Settings) -> str:
    """PROMETHEUS_MULTIPROC_DIR for this server's workers, emptied at each start
    (kelisim.web.metric_families).

    Set before any worker imports prometheus_client, which reads it at import time.
    """
    import shutil
    import tempfile
    from pathlib import Path

    configured = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if configured:
        path = Path(configured)
        shutil.rmtree(path, ignore_errors=True)
        path.mkdir(parents=True, exist_ok=True)
    else:
        path = Path(tempfile.mkdtemp(prefix="kelisim-metrics-"))
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(path)
    return str(path)


def _forget_metrics_of(server: Any, worker: Any) -> None:
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


@dataclass
class ServeOptions:
    host: str = "127.0.0.1"
    port: int = 8000
    workers: int | None = None
    threads: int = THREADS
    access_log: bool = True


def _create_app_once_the_database_answers(
    create_app: Callable[[Settings], Any], settings: Settings, wait_seconds: float = 20.0
) -> Any:
    """Build a worker's app, waiting out a database that is restarting.

    Workers read the live catalogue from the database when they boot, and gunicorn halts the
    whole server when a worker fails to boot. A worker replaced while PostgreSQL restarts must
    therefore wait for it (clients meanwhile queue or time out and retry) instead of failing.
    """
    deadline = time.monotonic() + wait_seconds
    delay = 0.25
    while True:
        try:
            return create_app(settings)
        except OperationalError:
            if time.monotonic() >= deadline:
                raise
            time.sleep(delay)
            delay = min(delay * 2, 2.0)


def serve(
    settings: Settings, options: ServeOptions, on_ready: Callable[[], None] | None = None
) -> None:
    """Check, prepare, then run gunicorn in this process until it is stopped."""
    from gunicorn.app.base import BaseApplication

    from kelisim.web.app import create_app

    settings = settings.with_changes(production=True)
    prepare(settings)
    _fresh_metrics_dir(settings)
    worker_settings = settings.with_changes(extra={**settings.extra, "auto_upgrade": False})
    workers = options.workers or default_workers(settings.database_url)
    config = {
        "bind": f"{options.host}:{options.port}",
        "workers": workers,
        # Admission off (KELISIM_MAX_IN_FLIGHT=0) sheds nothing, here or in the API.
        "worker_class": queue_stamping_worker(
            settings.admission_wait_ms / 1000 if settings.max_in_flight > 0 else None
        ),
        "threads": options.threads,
        "timeout": 30,
        "graceful_timeout": 10,
        "keepalive": 5,
        "loglevel": "info",
        "logger_class": _access_logger(),
        "accesslog": "-" if options.access_log else None,
        "errorlog": "-",
        "proc_name": "kelisim",
        # One shared control socket per user would collide between instances; nothing uses it.
        "control_socket_disable": True,
        # Kelisim's own ProxyFix (KELISIM_TRUSTED_PROXIES) decides which forwarded headers count.
        "forwarded_allow_ips": "",
        # A dead worker's live gauges leave the sum (prometheus_client multiprocess mode).
        "child_exit": _forget_metrics_of,
    }

    class Application(BaseApplication):  # type: ignore[misc]
        def load_config(self) -> None:
            for key, value in config.items():
                self.cfg.set(key, value)

        def load(self) -> Any:
            return _create_app_once_the_database_answers(create_app, worker_settings)

    print(
        f"Kelisim (production) on http://{options.host}:{options.port}/ "
        f"with {workers} workers x {options.threads} threads",
        flush=True,
    )
    if on_ready is not None:
        on_ready()
    Application().run()
