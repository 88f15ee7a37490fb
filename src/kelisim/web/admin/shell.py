"""The admin blueprint and what every admin request goes through before and after its view.

* Default deny: every admin view needs a signed-in user unless it is listed in PUBLIC_ENDPOINTS,
  so a view added later cannot be public by accident; `requires_role` narrows further.
* Every state-changing request carries a valid Flask-WTF token and, when the browser says where it
  comes from, comes from this origin — checked here once for the whole
  blueprint, on top of each form's own check, so a future view without a form is still covered.
* Every admin response gets the strict, per-response-nonce CSP, `no-store` and the other headers
  ASVS 5.0 asks for (3.4.1–3.4.6); error pages and 404s under /admin included.
* The session: a signed cookie of its own, `__Host-kelisim_admin`, carries the CSRF secret, the
  language and a random session id whose server-side record (kelisim.services.accounts) decides
  whether it is
  live, so idle and absolute timeouts and logout hold on every worker and cannot be undone by
  replaying an old cookie.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import wraps
from typing import Any, TypeVar
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    Flask,
    Request,
    Response,
    abort,
    current_app,
    g,
    get_flashed_messages,
    has_request_context,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.sansio.blueprints import BlueprintSetupState
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface, SessionMixin
from flask_wtf.csrf import CSRFError, generate_csrf, validate_csrf
from itsdangerous import URLSafeTimedSerializer
from sqlalchemy import Engine
from wtforms.validators import ValidationError

from kelisim.services.accounts import ROLES, Accounts, User, utc_now
from kelisim.services.audit import AuditLog
from kelisim.services.mfa import SecondFactor
from kelisim.web.admin.texts import DEFAULT_LANGUAGE, LANGUAGE_NAMES, LANGUAGES, pick_language, text
from kelisim.web.headers import csp_nonce

bp = Blueprint("admin", __name__, url_prefix="/admin", template_folder="../templates")

SESSION_COOKIE = "__Host-kelisim_admin"
# Endpoints a visitor without a live session may reach; everything else sends them to the login
# page. Logging out must work after the session has already timed out.
# The second-factor steps run between password and session (kelisim.web.admin.mfa checks their
# state).
PUBLIC_ENDPOINTS = frozenset({"admin.login", "admin.logout", "admin.login_code", "admin.mfa_enrol"})
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
CLOCK_CONFIG = "KELISIM_ADMIN_CLOCK"
"""Config key for a zero-argument callable returning an aware UTC datetime (tests move time)."""

F = TypeVar("F", bound=Callable[..., Any])


@dataclass(frozen=True)
class AdminServices:
    accounts: Accounts
    audit: AuditLog
    mfa: SecondFactor


def is_admin_path(path: str) -> bool:
    return path == bp.url_prefix or path.startswith(f"{bp.url_prefix}/")


class AdminSessionInterface(SecureCookieSessionInterface):
    """Gives admin pages a session cookie of their own; every other path keeps the app's.

    The receipt page's session (a visitor's CSRF secret) and a staff member's session must not be
    the same cookie: the admin one needs `__Host-`, `Secure` and `SameSite=Strict` (ASVS 5.0
    3.3.1-3.3.4), which the visitor-facing one does not, and a salt of its own keeps a visitor's
    signed session from being replayed as a staff session.
    """

    admin_salt = "kelisim.admin-session"

    @staticmethod
    def _admin() -> bool:
        return has_request_context() and is_admin_path(request.path)

    def get_signing_serializer(self, app: Flask) -> URLSafeTimedSerializer | None:
        if not self._admin():
            return super().get_signing_serializer(app)
        if not app.secret_key:
            return None
        return URLSafeTimedSerializer(
            app.secret_key,
            salt=self.admin_salt,
            serializer=self.serializer,
            signer_kwargs={
                "key_derivation": self.key_derivation,
                "digest_method": self.digest_method,
            },
        )

    def get_cookie_name(self, app: Flask) -> str:
        return SESSION_COOKIE if self._admin() else super().get_cookie_name(app)

    def get_cookie_domain(self, app: Flask) -> str | None:
        # The __Host- prefix forbids a Domain attribute.
        return None if self._admin() else super().get_cookie_domain(app)

    def get_cookie_path(self, app: Flask) -> str:
        return "/" if self._admin() else super().get_cookie_path(app)

    def get_cookie_httponly(self, app: Flask) -> bool:
        return True if self._admin() else super().get_cookie_httponly(app)

    def get_cookie_secure(self, app: Flask) -> bool:
        return True if self._admin() else super().get_cookie_secure(app)

    def get_cookie_samesite(self, app: Flask) -> str | None:
        return "Strict" if self._admin() else super().get_cookie_samesite(app)

    def get_cookie_partitioned(self, app: Flask) -> bool:
        return False if self._admin() else super().get_cookie_partitioned(app)

    # The consent API's requests come without a session cookie and never touch the session: both
    # shortcuts below answer exactly what Flask's own methods would, without building a signer
    # and working out seven cookie attributes per request (bench/load.py: ~0.2 ms of each
    # consent POST).
    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        if app.secret_key and not request.cookies.get(self.get_cookie_name(app)):
            return self.session_class()
        return super().open_session(app, request)

    def save_session(self, app: Flask, session: SessionMixin, response: Response) -> None:
        if not session and not session.accessed and not session.modified:
            return
        super().save_session(app, session, response)

    def should_set_cookie(self, app: Flask, session) -> bool:
        # A browser-session cookie, never refreshed just for being read: the server-side record
        # carries the timeouts.
        return session.modified


@bp.record_once
def _install_session_interface(state: BlueprintSetupState) -> None:
    app = state.app
    if type(app.session_interface) is SecureCookieSessionInterface:
        app.session_interface = AdminSessionInterface()
    elif not isinstance(app.session_interface, AdminSessionInterface):
        raise RuntimeError(
            "the admin UI needs its own session cookie; it found a custom session interface "
            f"({type(app.session_interface).__name__}) and will not replace it"
        )


def now() -> datetime:
    clock = current_app.config.get(CLOCK_CONFIG) or utc_now
    return clock()


def services(app: Flask | None = None) -> AdminServices:
    """The accounts and audit log on the app's database, built once per app."""
    app = app or current_app._get_current_object()  # type: ignore[attr-defined]
    built = app.extensions.get("kelisim_admin")
    if built is None:
        engine, write_engine = store_engines(app.extensions["kelisim"].store)
        if not app.secret_key:
            raise RuntimeError("the admin UI needs SECRET_KEY (Settings.secret_key)")

        def clock() -> datetime:
            return (app.config.get(CLOCK_CONFIG) or utc_now)()

        audit = AuditLog(write_engine, clock=clock)
        accounts = Accounts(
            engine, write_engine=write_engine, throttle_key=app.secret_key, audit=audit, clock=clock
        )
        mfa = SecondFactor(engine, write_engine, audit, clock)
        built = AdminServices(accounts=accounts, audit=audit, mfa=mfa)
        app.extensions["kelisim_admin"] = built
    return built


def store_engines(store: Any) -> tuple[Engine, Engine]:
    """(reading engine, writing engine) of the consent store, shared with the admin tables.

    The writing engine starts SQLite transactions with BEGIN IMMEDIATE, so concurrent writers wait
    for the lock instead of failing.
    """
    return store.engine, store.write_engine


def current_user() -> User | None:
    return g.get("admin_user")


def language() -> str:
    return g.get("admin_lang", DEFAULT_LANGUAGE)


def t(key: str, **values: object) -> str:
    return text(key, language(), **values)


def flashed() -> list[tuple[str, str]]:
    """(alert kind, text) of every message flashed since the last page, whichever page flashed it.

    Pages flash (key, {values}); a page may show another page's message (a redirect elsewhere,
    a second tab), so a malformed one is shown as its key rather than failing the page."""
    result = []
    for item in get_flashed_messages() or []:
        key, values = item if isinstance(item, list | tuple) and len(item) == 2 else (item, {})
        key = str(key)
        try:
            message = t(key, **values) if isinstance(values, dict) else t(key, name=values)
        except (KeyError, IndexError, TypeError, ValueError):
            message = key
        result.append(("error" if key.startswith("error") else "ok", message))
    return result


def flashed_texts() -> list[str]:
    return [message for _, message in flashed()]


def requires_role(role: str) -> Callable[[F], F]:
    """Refuse (403) a signed-in user below `role`; the blueprint already refused anonymous ones."""
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}")

    def decorate(view: F) -> F:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            user = current_user()
            if user is None:
                return redirect(url_for("admin.login"))
            if not user.has_role(role):
                abort(403)
            return view(*args, **kwargs)

        wrapper.required_role = role  # type: ignore[attr-defined]
        return wrapper  # type: ignore[return-value]

    return decorate


def is_safe_next(target: str | None) -> bool:
    """Only paths inside the admin on this host: never an open redirect to another site."""
    if not target or not target.startswith("/admin") or target.startswith("//"):
        return False
    # CR/LF would split the Location header (a 500 from Werkzeug, or worse behind some proxies);
    # spaces and other controls have no place in a path either. urlsplit drops CR/LF silently.
    if any(ord(char) < 0x21 or ord(char) == 0x7F for char in target):
        return False
    parts = urlsplit(target)
    return not parts.scheme and not parts.netloc and "\\" not in target


def _same_origin(url: str | None) -> bool:
    if not url:
        return False
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" == request.host_url.rstrip("/")


def _check_request_origin() -> None:
    """Defence in depth against CSRF: the browser's own statement of where the request came from.

    Fetch Metadata and Origin are sent by every current browser on a POST; the Referer is checked
    only on HTTPS when Origin is missing, as Flask-WTF's strict-SSL mode does.
    """
    if request.headers.get("Sec-Fetch-Site", "same-origin") not in ("same-origin", "none"):
        raise CSRFError("cross-site request")
    origin = request.headers.get("Origin")
    if origin is not None:
        if origin == "null" or not _same_origin(origin):
            raise CSRFError("foreign origin")
    elif request.is_secure and not _same_origin(request.referrer):
        raise CSRFError("foreign or missing referrer")


@bp.before_request
def _before() -> Any:
    csp_nonce()
    chosen = pick_language(request.args.get("lang"))
    if chosen is not None and session.get("lang") != chosen:
        session["lang"] = chosen
    g.admin_lang = pick_language(session.get("lang")) or DEFAULT_LANGUAGE

    if request.method in UNSAFE_METHODS:
        _check_request_origin()
        try:
            validate_csrf(request.form.get("csrf_token"))
        except ValidationError as error:
            raise CSRFError(str(error)) from None

    token = session.get("sid")
    active = services().accounts.resume_session(token) if token else None
    g.admin_user = active.user if active is not None else None
    if token and active is None:
        session.pop("sid", None)
        g.admin_session_ended = True

    if g.admin_user is None and request.endpoint not in PUBLIC_ENDPOINTS:
        # A form sent after the session timed out is dropped, not replayed after login: the
        # person should see the page again before changing anything.
        notice = "session_ended" if g.get("admin_session_ended") else "login_required"
        target = request.full_path if request.method == "GET" else None
        if target and target.endswith("?"):
            target = target[:-1]
        login_url = url_for(
            "admin.login", notice=notice, next=target if is_safe_next(target) else None
        )
        return redirect(login_url, 303 if request.method in UNSAFE_METHODS else 302)
    return None


@bp.context_processor
def _template_globals() -> dict[str, Any]:
    return {
        "t": t,
        "lang": language(),
        "languages": LANGUAGES,
        "language_names": LANGUAGE_NAMES,
        "csp_nonce": csp_nonce,
        "csrf_token": generate_csrf,
        "current_user": current_user(),
        "role_name": lambda role: t(f"role_{role}"),
    }


def security_headers(response: Response) -> Response:
    """Compliance §3.6 for every response under /admin, including errors the views never saw."""
    path = request.path
    if path != "/admin" and not path.startswith("/admin/"):
        return response
    nonce = csp_nonce()
    response.headers["Content-Security-Policy"] = (
        "default-src 'self'; "
        f"script-src 'nonce-{nonce}' 'strict-dynamic'; "
        f"style-src 'self' 'nonce-{nonce}'; "
        "img-src 'self' data:; "
        "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
    )
    # Staff pages show who may do what: none of it belongs in a cache or the back-forward cache.
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "same-origin"
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Cross-Origin-Opener-Policy"] = "same-origin"
    response.headers["Cross-Origin-Resource-Policy"] = "same-origin"
    response.headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=(), payment=()"
    if request.is_secure:
        response.headers.setdefault(
            "Strict-Transport-Security", "max-age=31536000; includeSubDomains"
        )
    return response


bp.after_app_request(security_headers)


def _error_page(message_key: str, status: int) -> tuple[str, int]:
    return render_template("admin/error.html", message=t(message_key), status=status), status


@bp.errorhandler(CSRFError)
def _csrf_error(error: CSRFError) -> tuple[str, int]:
    # The reason stays out of the page: it would only help someone probing the check.
    return _error_page("error_csrf", 403)


@bp.errorhandler(403)
def _forbidden(error: Exception) -> tuple[str, int]:
    return _error_page("error_403", 403)


@bp.errorhandler(404)
def _not_found(error: Exception) -> tuple[str, int]:
    return _error_page("error_404", 404)


def begin_session(user: User) -> None:
    """Rotate everything on login (ASVS 5.0 7.2.4): old session record, CSRF secret, flashes."""
    accounts = services().accounts
    accounts.end_session(session.get("sid"))
    keep_language = session.get("lang")
    session.clear()
    session["sid"] = accounts.start_session(user)
    if keep_language:
        session["lang"] = keep_language
