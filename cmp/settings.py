"""Kelisim's settings, read once from KELISIM_* environment variables.

The defaults run a working server on a developer's machine (SQLite file under ./var, the
repository's vendors.yaml, secrets generated on first start and kept beside the database) so that
the README's first command needs no configuration. Production mode refuses those conveniences.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field, replace
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_VAR_DIR = Path(os.environ.get("KELISIM_VAR_DIR", "var"))
# SQLite has one writer: a second write in the same worker does not run alongside the first, it
# waits in SQLite's busy handler, which sleeps in steps of up to 100 ms and is not first come,
# first served. One slot per worker turns that into a queue (A/B at 500 POST/s open loop on the
# shared 2-core VM, 4 s each: 778 vs 460 acknowledged, 2xx p99 119 ms vs 1.48 s with 4 slots).
SQLITE_MAX_IN_FLIGHT = 1


def _split(value: str | None) -> tuple[str, ...]:
    if not value:
        return ()
    return tuple(part.strip() for part in value.split(",") if part.strip())


def _persistent_secret(path: Path) -> str:
    """A random secret kept in a file, so tokens survive a restart of the embedded default."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.exists():
        return path.read_text().strip()
    value = secrets.token_urlsafe(48)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(value)
    return value


@dataclass(frozen=True)
class Settings:
    database_url: str
    catalogue_path: Path
    # Oldest first, newest last: tokens are signed with the last key and checked against all.
    token_keys: tuple[str, ...]
    # Flask's own secret (sessions, CSRF) is kept apart from the token keys.
    secret_key: str
    ip_pepper: str
    geoip_database: Path | None = None
    max_body_bytes: int = 16 * 1024
    trusted_proxies: int = 0
    # Production mode (`kelisim serve --production`): HSTS on every response, and startup checks
    # that refuse generated secrets and non-durable databases (cmp/production.py).
    production: bool = False
    # Where the cross-worker rate-limit counters live (cmp/ratelimit.py); None keeps them in this
    # process only, which is enough for tests and the development server.
    rate_limit_path: Path | None = None
    # Consent POSTs per minute: per client network (/24, /48; many visitors share a carrier NAT),
    # and per consent id (one visitor changing their mind). 0 switches a limit off.
    consent_rate_per_network: int = 600
    consent_rate_per_consent: int = 30
    # Load shedding: consent POSTs a worker handles at once, and how long one may wait in all —
    # queued in gunicorn for a thread (stamped by the worker, cmp/production.py) plus waiting for a
    # slot — before it gets a 503 instead of queueing behind an overloaded database. A POST whose
    # wait is spent is answered by the worker before the app, the rate-limit file or the database
    # see it, so a shed answer takes about this long, never seconds; nothing is shed once it
    # reached the database. KELISIM_MAX_IN_FLIGHT=0 switches shedding off. From the environment the
    # default is 1 on SQLite (see SQLITE_MAX_IN_FLIGHT) and 4 on PostgreSQL.
    max_in_flight: int = 4
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
    scan_upload_tokens: tuple[str, ...] = ()
    extra: dict[str, object] = field(default_factory=dict)

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Settings:
        env = dict(os.environ if env is None else env)
        var_dir = Path(env.get("KELISIM_VAR_DIR", str(DEFAULT_VAR_DIR)))
        database_url = env.get("KELISIM_DATABASE_URL") or f"sqlite:///{var_dir / 'kelisim.sqlite3'}"
        catalogue = Path(env.get("KELISIM_CATALOGUE") or PROJECT_ROOT / "vendors.yaml")
        token_keys = _split(env.get("KELISIM_TOKEN_KEYS")) or (
            _persistent_secret(var_dir / "token.key"),
        )
        secret_key = env.get("KELISIM_SECRET_KEY") or _persistent_secret(var_dir / "secret.key")
        ip_pepper = env.get("KELISIM_IP_PEPPER") or _persistent_secret(var_dir / "ip-pepper.key")
        geoip = env.get("KELISIM_GEOIP_DATABASE")
        explicit = frozenset(
            name
            for name in ("KELISIM_SECRET_KEY", "KELISIM_TOKEN_KEYS", "KELISIM_IP_PEPPER")
            if env.get(name, "").strip()
        )
        return cls(
            database_url=database_url,
            catalogue_path=catalogue,
            token_keys=token_keys,
            secret_key=secret_key,
            ip_pepper=ip_pepper,
            geoip_database=Path(geoip) if geoip else None,
            max_body_bytes=int(env.get("KELISIM_MAX_BODY_BYTES", 16 * 1024)),
            trusted_proxies=int(env.get("KELISIM_TRUSTED_PROXIES", 0)),
            production=env.get("KELISIM_PRODUCTION", "") == "1",
            rate_limit_path=Path(
                env.get("KELISIM_RATE_LIMIT_DB") or var_dir / "rate-limits.sqlite3"
            ),
            consent_rate_per_network=int(env.get("KELISIM_CONSENT_RATE_PER_NETWORK", 600)),
            consent_rate_per_consent=int(env.get("KELISIM_CONSENT_RATE_PER_CONSENT", 30)),
            max_in_flight=int(
                env.get("KELISIM_MAX_IN_FLIGHT")
                or (SQLITE_MAX_IN_FLIGHT if database_url.startswith("sqlite") else 4)
            ),
            admission_wait_ms=int(env.get("KELISIM_ADMISSION_WAIT_MS", 30)),
            explicit_secrets=explicit,
            retention_days=int(env.get("KELISIM_RETENTION_DAYS", 3 * 365)),
            scan_upload_tokens=_split(env.get("KELISIM_SCAN_UPLOAD_TOKENS")),
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
