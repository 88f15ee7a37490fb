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
        return cls(
            database_url=database_url,
            catalogue_path=catalogue,
            token_keys=token_keys,
            secret_key=secret_key,
            ip_pepper=ip_pepper,
            geoip_database=Path(geoip) if geoip else None,
            max_body_bytes=int(env.get("KELISIM_MAX_BODY_BYTES", 16 * 1024)),
            trusted_proxies=int(env.get("KELISIM_TRUSTED_PROXIES", 0)),
        )

    def with_changes(self, **changes: object) -> Settings:
        return replace(self, **changes)
