"""Kelisim's settings, read once from KELISIM_* environment variables.

The defaults run a working server on a developer's machine (SQLite file under ./var, the packaged
example vendors.yaml, secrets generated on first start and kept beside the database) so that the
README's first command needs no configuration. Production mode refuses those conveniences.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from urllib.parse import urlsplit

from kelisim.environment import read

# What the package ships: the browser runtime and the example catalogue (the creditplus.kz lender's
# 14 vendors), found beside the code so a wheel serves them without a checkout.
PACKAGE_DIR = Path(__file__).resolve().parent
STATIC_DIR = PACKAGE_DIR / "web" / "static"
DEFAULT_CATALOGUE = PACKAGE_DIR / "data" / "vendors.yaml"
DEFAULT_VAR_DIR = Path(read(os.environ, "KELISIM_VAR_DIR") or "var")
# Consent POSTs a worker lets in at once. Appends are group-committed (kelisim.store.group_commit):
# the requests in flight share one transaction and one fsync, so many slots cost the database
# nothing more. (One slot per worker, when every append had its own fsync, capped SQLite at a few
# dozen acknowledged consents a second.) 12 of the 24 threads (kelisim.cli.production.THREADS): 16
# connections spread over two workers fit, and under overload the other threads stay free to answer
# the 503s at once instead of after the admitted requests' commit.
DEFAULT_MAX_IN_FLIGHT = 12
# The name (and checkpoint origin) of the log key generated for the embedded default.
DEFAULT_LOG_ORIGIN = "localhost/kelisim-consent-log"


def _split(value: str | None) -> tuple[str, ...]:
    if not value:
        return ()
    return tuple(part.strip() for part in value.split(",") if part.strip())


def _kept_once(path: Path, generate: Callable[[], str]) -> str:
    """The value kept in `path`, written there first if there is none.

    Several processes can start at once on a fresh ./var (gunicorn workers, `kelisim serve` beside
    `kelisim demo`): the value is written whole to a private file and linked into place, so the
    first link wins, every process reads the same complete value, and none sees a half-written one.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.exists():
        return path.read_text().strip()
    value = generate()
    draft = path.with_name(f".{path.name}.{secrets.token_hex(8)}")
    fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w") as handle:
            handle.write(value)
            handle.flush()
            os.fsync(handle.fileno())
        try:
            os.link(draft, path)
        except FileExistsError:
            return path.read_text().strip()
    finally:
        draft.unlink(missing_ok=True)
    return value


def _persistent_secret(path: Path) -> str:
    """A random secret kept in a file, so tokens survive a restart of the embedded default."""
    return _kept_once(path, lambda: secrets.token_urlsafe(48))


def _persistent_log_key(path: Path, origin: str) -> str:
    """The embedded default's checkpoint signing key, generated once, kept beside the database."""
    from kelisim.store.note import Signer

    return _kept_once(path, lambda: str(Signer.generate(origin)))


def public_base_url(value: str | None) -> str | None:
    """`https://host[:port][/prefix]` without a trailing slash; ValueError names what is wrong."""
    if not value or not value.strip():
        return None
    parts = urlsplit(value.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"KELISIM_PUBLIC_URL must be an http(s) URL, not {value!r}")
    if parts.query or parts.fragment or "@" in parts.netloc:
        raise ValueError("KELISIM_PUBLIC_URL must have no user, query or fragment")
    return f"{parts.scheme}://{parts.netloc}{parts.path.rstrip('/')}"


@dataclass(frozen=True)
class Settings:
    """What kelisim.environment declares, read and checked once; secrets stay out of repr."""

    database_url: str = field(repr=False)  # may carry the database password
    catalogue_path: Path
    # Oldest first, newest last: tokens are signed with the last key and checked against all.
    token_keys: tuple[str, ...] = field(repr=False)
    # Flask's own secret (sessions, CSRF) is kept apart from the token keys.
    secret_key: str = field(repr=False)
    ip_pepper: str = field(repr=False)
    geoip_database: Path | None = None
    max_body_bytes: int = 16 * 1024
    trusted_proxies: int = 0
    # Production mode (`kelisim serve --production`): HSTS on every response, and startup checks
    # that refuse generated secrets and non-durable databases (src/kelisim/cli/production.py).
    production: bool = False
    # Consent POSTs per minute: per client network (/24, /48; many visitors share a carrier NAT),
    # and per consent id (one visitor changing their mind). 0 switches a limit off.
    consent_rate_per_network: int = 600
    consent_rate_per_consent: int = 30
    # Load shedding: consent POSTs a worker handles at once, and how long one may wait in all —
    # queued in gunicorn for a thread (stamped by the worker, src/kelisim/cli/production.py) plus
    # waiting for a slot — before it gets a 503 instead of queueing behind an overloaded database. A
    # POST whose wait is spent is answered by the worker before the app, the rate limiter or the
    # database see it, so a shed answer takes about this long, never seconds; nothing is shed once
    # it reached the database. KELISIM_MAX_IN_FLIGHT=0 switches shedding off; see
    # DEFAULT_MAX_IN_FLIGHT.
    max_in_flight: int = DEFAULT_MAX_IN_FLIGHT
    admission_wait_ms: int = 30
    # Which KELISIM_* secrets were set explicitly (production refuses generated ones).
    explicit_secrets: frozenset[str] = frozenset()
    # How long proof of a consent is kept after the consent ended (withdrawn or expired) before
    # `kelisim db purge` destroys its personal fields. Three years: the general limitation period
    # for civil claims in Kazakhstan (Civil Code Art. 178), i.e. as long as the operator may have
    # to show the consent in a dispute (EDPB 05/2020 §108: keep proof no longer than legal claims
    # need). KELISIM_RETENTION_DAYS.
    retention_days: int = 3 * 365
    # Bearer tokens the scanner may upload report.json with (POST /api/v1/scans), comma-separated
    # in KELISIM_SCAN_UPLOAD_TOKENS; none = uploads are refused.
    scan_upload_tokens: tuple[str, ...] = field(default=(), repr=False)
    # The Ed25519 key that signs the log's checkpoints, in the signed-note signer format
    # (PRIVATE+KEY+<origin>+<hash>+<base64>; `kelisim log keygen` makes one):
    # KELISIM_LOG_SIGNING_KEY, generated into the var directory when unset (production refuses
    # that). Rotating: set a new key; every key that ever signed stays in the database to verify
    # its old checkpoints.
    log_signing_key: str = field(default="", repr=False)
    # Seconds between checkpoints while the log grows (KELISIM_CHECKPOINT_SECONDS); 0 signs only
    # when a receipt needs one. A receipt never waits longer than one signature.
    checkpoint_seconds: float = 5.0
    # The canonical https://host[/prefix] receipts are linked under (KELISIM_PUBLIC_URL). Without
    # it, production answers a path only: the request's Host header is the client's to choose and
    # must not end up in a link the API hands out.
    public_url: str | None = None
    # Bearer token for GET /metrics (KELISIM_METRICS_TOKEN); none = the endpoint is off.
    metrics_token: str | None = field(default=None, repr=False)
    # Staff roles that must use a second factor (TOTP) to log in, KELISIM_MFA_REQUIRED_ROLES
    # (comma-separated; from the environment the default is "admin"). Others may enrol freely.
    mfa_required_roles: tuple[str, ...] = ()
    # Bearer tokens the lender's own servers link consents to a logged-in customer with
    # (POST /api/v1/consent/link), comma-separated in KELISIM_CUSTOMER_LINK_TOKENS; none = refused.
    customer_link_tokens: tuple[str, ...] = field(default=(), repr=False)
    # The days off Kazakhstan moves every year and Kurban ait, for subject-request deadlines
    # (kelisim.domain.workdays): KELISIM_HOLIDAYS_FILE, one `YYYY-MM-DD holiday|workday` a line.
    # Unset = weekends and the fixed-date holidays only.
    holidays_file: Path | None = None
    # Who `kelisim requests overdue --notify` tells: the privacy officer's e-mail
    # (KELISIM_PRIVACY_OFFICER_EMAIL) and/or a webhook (KELISIM_REQUESTS_WEBHOOK_URL).
    privacy_officer_email: str | None = None
    requests_webhook_url: str | None = None
    extra: dict[str, object] = field(default_factory=dict)

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Settings:
        env = dict(os.environ if env is None else env)
        var_dir = Path(read(env, "KELISIM_VAR_DIR", str(DEFAULT_VAR_DIR)))
        database_url = (
            read(env, "KELISIM_DATABASE_URL") or f"sqlite:///{var_dir / 'kelisim.sqlite3'}"
        )
        catalogue = Path(read(env, "KELISIM_CATALOGUE") or DEFAULT_CATALOGUE)
        token_keys = _split(read(env, "KELISIM_TOKEN_KEYS")) or (
            _persistent_secret(var_dir / "token.key"),
        )
        secret_key = read(env, "KELISIM_SECRET_KEY") or _persistent_secret(var_dir / "secret.key")
        ip_pepper = read(env, "KELISIM_IP_PEPPER") or _persistent_secret(var_dir / "ip-pepper.key")
        geoip = read(env, "KELISIM_GEOIP_DATABASE")
        explicit = frozenset(
            name
            for name in (
                "KELISIM_SECRET_KEY",
                "KELISIM_TOKEN_KEYS",
                "KELISIM_IP_PEPPER",
                "KELISIM_LOG_SIGNING_KEY",
            )
            if env.get(name, "").strip()
        )
        return cls(
            database_url=database_url,
            catalogue_path=catalogue,
            token_keys=token_keys,
            secret_key=secret_key,
            ip_pepper=ip_pepper,
            geoip_database=Path(geoip) if geoip else None,
            max_body_bytes=int(read(env, "KELISIM_MAX_BODY_BYTES", 16 * 1024)),
            trusted_proxies=int(read(env, "KELISIM_TRUSTED_PROXIES", 0)),
            production=read(env, "KELISIM_PRODUCTION", "") == "1",
            consent_rate_per_network=int(read(env, "KELISIM_CONSENT_RATE_PER_NETWORK", 600)),
            consent_rate_per_consent=int(read(env, "KELISIM_CONSENT_RATE_PER_CONSENT", 30)),
            max_in_flight=int(read(env, "KELISIM_MAX_IN_FLIGHT") or DEFAULT_MAX_IN_FLIGHT),
            admission_wait_ms=int(read(env, "KELISIM_ADMISSION_WAIT_MS", 30)),
            explicit_secrets=explicit,
            retention_days=int(read(env, "KELISIM_RETENTION_DAYS", 3 * 365)),
            scan_upload_tokens=_split(read(env, "KELISIM_SCAN_UPLOAD_TOKENS")),
            log_signing_key=read(env, "KELISIM_LOG_SIGNING_KEY", "").strip()
            or _persistent_log_key(var_dir / "log-signing.key", DEFAULT_LOG_ORIGIN),
            checkpoint_seconds=float(read(env, "KELISIM_CHECKPOINT_SECONDS", 5.0)),
            public_url=public_base_url(read(env, "KELISIM_PUBLIC_URL")),
            metrics_token=read(env, "KELISIM_METRICS_TOKEN", "").strip() or None,
            mfa_required_roles=_split(read(env, "KELISIM_MFA_REQUIRED_ROLES", "admin")),
            customer_link_tokens=_split(read(env, "KELISIM_CUSTOMER_LINK_TOKENS")),
            holidays_file=Path(read(env, "KELISIM_HOLIDAYS_FILE"))
            if read(env, "KELISIM_HOLIDAYS_FILE", "").strip()
            else None,
            privacy_officer_email=read(env, "KELISIM_PRIVACY_OFFICER_EMAIL", "").strip() or None,
            requests_webhook_url=read(env, "KELISIM_REQUESTS_WEBHOOK_URL", "").strip() or None,
        )

    def with_changes(self, **changes: object) -> Settings:
        return replace(self, **changes)


def demo_environment(state_dir: Path, env: dict[str, str] | None = None) -> dict[str, str]:
    """The environment under which Kelisim keeps everything in `kelisim demo`'s state directory.

    Shared by the demo and by `kelisim users --demo`, so an account made for the demo's admin
    lands in the database the demo serves, whatever KELISIM_DATABASE_URL says.
    """
    demo_env = dict(os.environ if env is None else env)
    demo_env["KELISIM_VAR_DIR"] = str(Path(state_dir) / "cmp")
    demo_env.pop("KELISIM_DATABASE_URL", None)  # demo consents never go to a configured database
    return demo_env
