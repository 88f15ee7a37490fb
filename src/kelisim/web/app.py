"""Kelisim's application factory: settings, catalogue, consent log and codecs wired into one app.

`create_app` is the only place that builds the long-lived services, so tests, the CLI and a WSGI
server all get the same wiring. Schema: the app runs the Alembic migrations on start by default,
because the README's first command (`kelisim serve` on the embedded SQLite file) and the tests (a
fresh database per test) must work without a separate step; migrations are idempotent and serialised
across processes.
A deployment that wants schema changes only through `kelisim db upgrade` sets
`Settings.extra["auto_upgrade"] = False`, and then a database without the schema fails at the first
query instead of being created behind the operator's back.
"""

from __future__ import annotations

import hashlib
import hmac
import importlib
import importlib.util
import logging
import secrets
import traceback
from dataclasses import dataclass, field
from typing import Any

from flask import Flask, Response, g, has_request_context, render_template, request
from flask_wtf.csrf import CSRFError, CSRFProtect
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from werkzeug.exceptions import HTTPException
from werkzeug.middleware.proxy_fix import ProxyFix

from kelisim.domain.catalogue import Catalogue
from kelisim.domain.context import ContextReader
from kelisim.domain.tokens import TokenCodec
from kelisim.domain.workdays import WorkCalendar, load_calendar
from kelisim.services.audit import AuditLog
from kelisim.services.ratelimit import Admission, ConsentLimits, RateLimiter
from kelisim.services.revisions import LiveCatalogue, Revisions
from kelisim.settings import DEFAULT_LOG_ORIGIN, Settings
from kelisim.store import ConsentStore
from kelisim.store.checkpointer import Checkpointer
from kelisim.store.counters import counter_engine
from kelisim.store.diskfull import recover_from_full_disk
from kelisim.store.note import Signer
from kelisim.web import headers
from kelisim.web.errors import PROBLEM_TYPES, ApiError, http_problem, problem_response
from kelisim.web.logsafe import LogHygieneFilter, escape_controls

__all__ = ["Services", "create_app", "open_revisions"]

log = logging.getLogger(__name__)

_LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def neutralise(text: str) -> str:
    """One log record, one line, no terminal controls: CR/LF, ESC, NUL, backspace and the other
    control characters from a header or a URL become visible escapes (kelisim.web.logsafe)."""
    return escape_controls(text)


class SingleLineFormatter(logging.Formatter):
    """Escapes CR/LF in the whole formatted record, tracebacks included (ASVS 4.0.3 7.3.1)."""

    def format(self, record: logging.LogRecord) -> str:
        return neutralise(super().format(record))


class NeutraliseFilter(LogHygieneFilter):
    """For handlers whose formatter we do not control: controls escaped, addresses redacted."""


def configure_logging() -> None:
    """Give the `kelisim` loggers one single-line handler (once per process, however many apps)."""
    logger = logging.getLogger("kelisim")
    if any(getattr(handler, "_kelisim", False) for handler in logger.handlers):
        return
    handler = logging.StreamHandler()
    handler.setFormatter(SingleLineFormatter(_LOG_FORMAT))
    handler.addFilter(NeutraliseFilter())
    handler._kelisim = True  # type: ignore[attr-defined]
    logger.addHandler(handler)
    if logger.level == logging.NOTSET:
        logger.setLevel(logging.INFO)


@dataclass
class Services:
    """The long-lived objects a request needs, kept at app.extensions["kelisim"]."""

    settings: Settings
    live: LiveCatalogue
    revisions: Revisions
    store: ConsentStore
    tokens: TokenCodec
    context: ContextReader
    id_key: bytes
    log_key: bytes
    # Signs the log's checkpoints (kelisim.store.checkpointer); proofs for receipts point at them.
    checkpoints: Checkpointer
    # Kazakhstan's working days for subject-request deadlines (Settings.holidays_file).
    calendar: WorkCalendar = field(default_factory=WorkCalendar)

    @property
    def catalogue(self) -> Catalogue:
        """The live catalogue (kelisim.services.revisions), the same one for the whole of a request
        even when a publish lands meanwhile."""
        if not has_request_context():
            return self.live.current()
        pinned = g.get("kelisim_catalogue")
        if pinned is None:
            pinned = g.kelisim_catalogue = self.live.current()
        return pinned

    def log_id(self, value: str) -> str:
        """A short keyed hash for operational logs: correlates lines without revealing the value."""
        return hmac.new(self.log_key, value.encode("utf-8"), hashlib.sha256).hexdigest()[:12]

    def close(self) -> None:
        self.checkpoints.close()
        self.context.close()
        self.store.close()


def _subkey(secret: str, purpose: str) -> bytes:
    """Separate keys per use from one secret, so a log hash can never be replayed as an id."""
    return hmac.new(secret.encode("utf-8"), purpose.encode("utf-8"), hashlib.sha256).digest()


def _save_snapshot(store: ConsentStore, published: Catalogue) -> None:
    # Every catalogue_hash in the log must resolve to the exact texts the visitor was shown.
    store.save_snapshot(published.content_hash, published.revision, published.to_dict())


def open_revisions(store: ConsentStore, settings: Settings) -> tuple[Revisions, Catalogue]:
    """The schema brought up to date and the live catalogue seeded from vendors.yaml: all that a
    first start writes into an empty database (the tests copy one such database per test)."""
    if settings.extra.get("auto_upgrade", True):
        store.upgrade()

    def save_snapshot(published: Catalogue) -> None:
        _save_snapshot(store, published)

    # The live catalogue is in the database; vendors.yaml seeds it (kelisim.services.revisions).
    revisions = Revisions(
        store.engine,
        store.write_engine,
        audit=AuditLog(store.write_engine),
        on_publish=save_snapshot,
    )
    catalogue = revisions.bootstrap(settings.catalogue_path)
    save_snapshot(catalogue)
    return revisions, catalogue


def build_services(settings: Settings) -> Services:
    # Read before anything opens: a bad holidays file stops the start with its file:line.
    calendar = load_calendar(settings.holidays_file)
    store = ConsentStore(settings.database_url)
    # After a full disk, SQLite writes come back without a restart once there is space.
    recover_from_full_disk(store.engine)
    context: ContextReader | None = None
    try:
        revisions, catalogue = open_revisions(store, settings)

        def save_snapshot(published: Catalogue) -> None:
            _save_snapshot(store, published)

        # A publish on any host is served by every worker of every host within this time (each
        # looks at the database's head revision at most this often).
        refresh = settings.extra.get("catalogue_refresh_seconds", 1.0)
        live = LiveCatalogue(
            revisions,
            catalogue,
            refresh_seconds=None if refresh is None else float(refresh),  # type: ignore[arg-type]
            on_change=save_snapshot,
        )
        tokens = TokenCodec(settings.token_keys)
        # Settings built in code (tests) may carry no key: a key for this process alone then.
        signer = (
            Signer.parse(settings.log_signing_key)
            if settings.log_signing_key
            else Signer.generate(DEFAULT_LOG_ORIGIN)
        )
        context = ContextReader(settings.geoip_database, settings.ip_pepper)
    except BaseException:
        if context is not None:
            context.close()
        store.close()
        raise
    checkpoints = Checkpointer(
        store.log, signer, settings.checkpoint_seconds, audit_engine=store.write_engine
    )
    checkpoints.start()
    return Services(
        settings=settings,
        live=live,
        revisions=revisions,
        store=store,
        tokens=tokens,
        context=context,
        id_key=_subkey(settings.secret_key, "kelisim.consent-id.v1"),
        log_key=_subkey(settings.secret_key, "kelisim.log-id.v1"),
        checkpoints=checkpoints,
        calendar=calendar,
    )


def _wants_html() -> bool:
    """Pages (the receipt) get HTML errors; the API and everything else get problem+json."""
    if request.path.startswith("/api/"):
        return False
    if request.blueprint in ("receipt", "subject_request"):
        return True
    best = request.accept_mimetypes.best_match(["application/json", "text/html"])
    return best == "text/html" and request.path.startswith("/consent/")


def _error_response(error: ApiError) -> Response | tuple[str, int, dict[str, str]]:
    if _wants_html():
        headers = {"Cache-Control": "no-store", **error.headers}
        return (
            render_template(
                "receipt_error.html", status=error.status, title=error.title, detail=error.detail
            ),
            error.status,
            headers,
        )
    return problem_response(error)


def _register_error_handlers(app: Flask) -> None:
    @app.errorhandler(ApiError)
    def api_error(error: ApiError) -> Any:
        return _error_response(error)

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> Any:
        if error.code is None or error.code < 400:
            return error
        headers = {}
        if error.code == 405 and getattr(error, "valid_methods", None):
            headers["Allow"] = ", ".join(error.valid_methods)
        detail = {
            404: "Nothing here.",
            405: f"Method {request.method} is not allowed here.",
            413: f"The body is larger than {app.config['MAX_CONTENT_LENGTH']} bytes.",
        }.get(error.code)
        if isinstance(error, CSRFError):
            detail = "The form has expired. Reload the page and try again."
        return _error_response(http_problem(error.code, detail, headers=headers))

    @app.errorhandler(OperationalError)
    @app.errorhandler(InterfaceError)
    @app.errorhandler(PoolTimeoutError)
    def database_unavailable(error: Exception) -> Any:
        correlation_id = secrets.token_hex(8)
        log.error("database unavailable [%s]: %s", correlation_id, type(error).__name__)
        return _error_response(
            ApiError(
                503,
                "Service Unavailable",
                "The consent log cannot be reached right now; nothing was recorded. Try again.",
                extra={"correlation_id": correlation_id},
                type=PROBLEM_TYPES["unavailable"],
                headers={"Retry-After": "5"},
            )
        )

    @app.errorhandler(Exception)
    def internal_error(error: Exception) -> Any:
        # The message of an exception can hold SQL parameters (consent ids, IP hashes), so only its
        # type and where it happened are logged; the id lets support find the line.
        correlation_id = secrets.token_hex(8)
        frames = " <- ".join(
            f"{frame.filename.rsplit('/', 1)[-1]}:{frame.lineno}:{frame.name}"
            for frame in reversed(traceback.extract_tb(error.__traceback__))
        )
        log.error("unhandled %s [%s] at %s", type(error).__name__, correlation_id, frames)
        return _error_response(
            ApiError(
                500,
                "Internal Server Error",
                f"Something went wrong on our side. Reference: {correlation_id}.",
                extra={"correlation_id": correlation_id},
                type=PROBLEM_TYPES["internal"],
            )
        )


def _register_blueprints(app: Flask, csrf: CSRFProtect) -> None:
    from kelisim.web import admin
    from kelisim.web.api import consents as api
    from kelisim.web.api import log as log_api
    from kelisim.web.receipt import page as receipt
    from kelisim.web.receipt import preferences, subject_request

    app.register_blueprint(api.bp)
    # The JSON API is guarded by its JSON-only content type and the Origin allow-list instead.
    csrf.exempt(api.bp)
    # The Merkle log's checkpoints, keys and proofs: public, read-only (docs/log.md).
    app.register_blueprint(log_api.bp)
    app.register_blueprint(receipt.bp)
    # A subject request from the receipt page (a form with the CSRF token, like withdraw).
    app.register_blueprint(subject_request.bp)
    # The choice without JavaScript (a form with the CSRF token; see
    # src/kelisim/web/receipt/preferences.py).
    app.register_blueprint(preferences.bp)
    if importlib.util.find_spec("kelisim.web.banner") is not None:
        banner = importlib.import_module("kelisim.web.banner")
        app.register_blueprint(banner.bp)
    # The admin UI keeps Flask-WTF's CSRF protection and adds its own session cookie for /admin.
    app.register_blueprint(admin.bp)
    # Scanner uploads (POST /api/v1/scans): a bearer-token JSON API that sets and reads no cookie,
    # so a browser cannot be made to send it cross-site with credentials; no CSRF token.
    app.register_blueprint(admin.scans.upload_bp)
    csrf.exempt(admin.scans.upload_bp)
    # /healthz, /readyz and the token-protected /metrics (no cookies, no forms).
    from kelisim.web import health, metrics

    app.register_blueprint(health.bp)
    csrf.exempt(health.bp)
    metrics.init_app(app)
    csrf.exempt(metrics.bp)
    # Native apps and the lender's servers (kelisim.web.api.apps): JSON with a consent or bearer
    # token.
    from kelisim.web.api import apps as app_api

    app.register_blueprint(app_api.bp)
    csrf.exempt(app_api.bp)
    # The embeddable cookie declaration for the lender's privacy page (GET only).
    from kelisim.web import declaration

    app.register_blueprint(declaration.bp)


def create_app(settings: Settings | None = None) -> Flask:
    """Build the app; raises CatalogueError for a bad catalogue, SQLAlchemy errors for a bad DB."""
    configure_logging()
    if settings is None:
        settings = Settings.from_env()
    # No app-wide static folder: /cmp.js and /cmp.css are served by the banner blueprint with their
    # own caching, and the receipt page brings its stylesheet in its blueprint.
    app = Flask(__name__, static_folder=None)
    app.secret_key = settings.secret_key
    app.config.update(
        MAX_CONTENT_LENGTH=settings.max_body_bytes,
        MAX_FORM_MEMORY_SIZE=settings.max_body_bytes,
        SESSION_COOKIE_NAME="kelisim_session",
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_HTTPONLY=True,
        # Production is HTTPS end to end for the browser (TLS at the proxy): every cookie we set,
        # kelisim_session on the receipt page included, is Secure.
        SESSION_COOKIE_SECURE=settings.production,
    )
    if settings.trusted_proxies > 0:
        hops = settings.trusted_proxies
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops, x_prefix=hops
        )
    csrf = CSRFProtect(app)
    _register_error_handlers(app)
    # Before the blueprints, so its after_request runs after theirs and only fills in gaps.
    headers.init_app(app, production=settings.production)
    _register_blueprints(app, csrf)
    app.extensions["kelisim"] = build_services(settings)
    app.extensions["kelisim.limits"] = _consent_limits(settings, app.extensions["kelisim"].store)
    return app


def _consent_limits(settings: Settings, store: ConsentStore) -> ConsentLimits:
    """Rate limits shared by every worker of every host (a table in the consent database) and
    this worker's write slots."""
    engine = counter_engine(store.engine, store.write_engine)
    return ConsentLimits(
        limiter=RateLimiter(
            engine,
            _subkey(settings.secret_key, "kelisim.ratelimit.v1"),
            owns_engine=engine not in (store.engine, store.write_engine),
        ),
        admission=Admission(settings.max_in_flight, settings.admission_wait_ms / 1000),
        per_network=settings.consent_rate_per_network,
        per_consent=settings.consent_rate_per_consent,
    )
