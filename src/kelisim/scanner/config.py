"""Scan settings: the command line plus an optional YAML file for what does not fit on one line.

The file holds the selectors for a site that runs another consent manager, the site's own necessary
artefacts (an allow-list with reasons), vendor aliases for the policy check and waivers. Every
problem is a ConfigError with a message a user can act on; the CLI turns it into exit code 2.
"""

from __future__ import annotations

import datetime as dt
import fnmatch
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

COOKIE_POLICIES = ("allow-third-party", "block-third-party")


class ConfigError(ValueError):
    """A bad argument or configuration file; shown without a traceback, exit code 2."""


@dataclass(frozen=True)
class AllowEntry:
    """A site-owned necessary artefact: `name` is exact, or a glob when it contains * or ?."""

    name: str
    reason: str
    kind: str | None = None  # storage only: local | session | indexeddb; None = any

    def matches(self, name: str) -> bool:
        if any(ch in self.name for ch in "*?["):
            return fnmatch.fnmatchcase(name, self.name)
        return name == self.name


@dataclass(frozen=True)
class Necessary:
    """What the site itself may set or call without consent, beside required-purpose vendors."""

    cookies: tuple[AllowEntry, ...] = ()
    storage: tuple[AllowEntry, ...] = ()
    hosts: tuple[AllowEntry, ...] = ()

    def cookie(self, name: str) -> AllowEntry | None:
        return next((e for e in self.cookies if e.matches(name)), None)

    def storage_key(self, kind: str, key: str) -> AllowEntry | None:
        return next(
            (e for e in self.storage if (e.kind in (None, kind)) and e.matches(key)),
            None,
        )

    def host(self, host: str) -> AllowEntry | None:
        return next(
            (e for e in self.hosts if e.matches(host) or host.endswith("." + e.name)),
            None,
        )


@dataclass(frozen=True)
class Selectors:
    """CSS selectors for a consent manager that is not Kelisim (clicked, not window.kelisim)."""

    accept: str | None = None
    reject: str | None = None
    settings: str | None = None
    save: str | None = None
    withdraw: str | None = None
    banner: str | None = None
    vendors: dict[str, str] = field(default_factory=dict)  # vendor id -> toggle selector

    @property
    def configured(self) -> bool:
        return bool(self.accept or self.reject)


@dataclass(frozen=True)
class Waiver:
    finding_id: str
    reason: str
    expires: dt.date | None = None

    def active(self, today: dt.date) -> bool:
        return self.expires is None or today <= self.expires


@dataclass
class ScanConfig:
    urls: list[str]
    out: Path
    catalogue: Path
    pages: int = 5
    depth: int = 1
    # Visits in parallel. 4 was faster on a quiet 2-core machine (bench/scan.py), but on a busy
    # runner 4 visits at once left a late service-worker fetch or a CMP's own self-test unseen, and
    # two scans of one site then differed: the default is what stays reproducible under load.
    workers: int = 2
    timeout_s: float = 30.0
    retries: int = 1
    settle_max_s: float = 8.0
    quiet_ms: int = 500
    min_dwell_s: float = 5.0  # past the load event: long enough for a "loaded + 3-5 s" tag
    fast_clock: bool = True  # fast-forward the dwell with Playwright's clock
    interact: bool = True  # scroll, mouse, focus / blur
    leave_page: bool = True  # end each visit by navigating away (pagehide beacons)
    states: list[str] | None = None  # None = all states
    vendors: list[str] | None = None  # restrict the single-vendor states
    sitemap: bool = True
    fail_on: str = "error"
    baseline: Path | None = None
    policy_url: str | None = None
    resolve: list[str] = field(default_factory=list)
    ca_certs: list[Path] = field(default_factory=list)
    ignore_https_errors: bool = False
    cookie_policy: str = "allow-third-party"
    upload: str | None = None
    upload_token: str | None = None
    screenshots: bool = True
    shard: tuple[int, int] | None = None  # (i, n): judge only the pages of shard i of n
    cluster: bool = False  # template clustering (kelisim.scanner.cluster): off, see its docstring
    autoconsent: bool = True  # drive other consent managers with DuckDuckGo's autoconsent
    autoconsent_dir: str | None = None  # its package folder; None: $KELISIM_AUTOCONSENT or npm's
    selectors: Selectors = field(default_factory=Selectors)
    necessary: Necessary = field(default_factory=Necessary)
    policy_aliases: dict[str, list[str]] = field(default_factory=dict)
    waivers: list[Waiver] = field(default_factory=list)
    extra_chromium_args: list[str] = field(default_factory=list)


def _entries(raw: Any, where: str, *, with_kind: bool = False) -> tuple[AllowEntry, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list):
        raise ConfigError(f"{where}: expected a list of {{name, reason}}")
    entries = []
    for i, item in enumerate(raw):
        if isinstance(item, str):
            raise ConfigError(f"{where}[{i}]: '{item}' needs a reason: {{name: ..., reason: ...}}")
        if not isinstance(item, dict) or not item.get("name") or not item.get("reason"):
            raise ConfigError(f"{where}[{i}]: every entry needs a name and a reason")
        kind = item.get("kind") if with_kind else None
        if kind not in (None, "local", "session", "indexeddb"):
            raise ConfigError(f"{where}[{i}].kind: use local, session or indexeddb")
        entries.append(AllowEntry(str(item["name"]), str(item["reason"]), kind))
    return tuple(entries)


def parse_waivers(raw: Any, where: str) -> list[Waiver]:
    """Waivers are `[{id, reason, expires?}]`; a waiver without a reason is refused."""
    if raw is None:
        return []
    if isinstance(raw, dict) and "waivers" in raw:
        raw = raw["waivers"]
    if not isinstance(raw, list):
        raise ConfigError(f"{where}: expected a list of waivers {{id, reason, expires?}}")
    waivers = []
    for i, item in enumerate(raw):
        if not isinstance(item, dict) or not item.get("id"):
            raise ConfigError(f"{where}[{i}]: a waiver needs the finding's id")
        if not str(item.get("reason") or "").strip():
            raise ConfigError(f"{where}[{i}] ({item['id']}): a waiver needs a reason")
        expires = item.get("expires")
        if expires is not None and not isinstance(expires, dt.date):
            try:
                expires = dt.date.fromisoformat(str(expires))
            except ValueError as exc:
                raise ConfigError(f"{where}[{i}].expires: use YYYY-MM-DD") from exc
        waivers.append(Waiver(str(item["id"]), str(item["reason"]), expires))
    return waivers


def read_yaml(path: Path) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read ({exc.strerror or exc})") from exc
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {exc}") from exc


KNOWN_KEYS = {"consent", "necessary", "policy_aliases", "waivers", "chromium_args"}


def apply_file(config: ScanConfig, path: Path) -> None:
    """Merge a scan configuration file into `config` (the command line wins where both speak)."""
    data = read_yaml(path)
    if data is None:
        return
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a mapping at the top level")
    unknown = set(data) - KNOWN_KEYS
    if unknown:
        raise ConfigError(
            f"{path}: unknown key(s) {', '.join(sorted(unknown))}; "
            f"known: {', '.join(sorted(KNOWN_KEYS))}"
        )
    consent = data.get("consent") or {}
    if not isinstance(consent, dict):
        raise ConfigError(f"{path}: consent: expected a mapping of selectors")
    vendors = consent.get("vendors") or {}
    if not isinstance(vendors, dict):
        raise ConfigError(f"{path}: consent.vendors: expected vendor id -> selector")
    config.selectors = Selectors(
        accept=consent.get("accept"),
        reject=consent.get("reject"),
        settings=consent.get("settings"),
        save=consent.get("save"),
        withdraw=consent.get("withdraw"),
        banner=consent.get("banner"),
        vendors={str(k): str(v) for k, v in vendors.items()},
    )
    if config.selectors.vendors and not config.selectors.save:
        raise ConfigError(
            f"{path}: consent.vendors needs consent.save (the button that stores a choice)"
        )
    necessary = data.get("necessary") or {}
    if not isinstance(necessary, dict):
        raise ConfigError(f"{path}: necessary: expected cookies / storage / hosts lists")
    config.necessary = Necessary(
        cookies=_entries(necessary.get("cookies"), f"{path}: necessary.cookies"),
        storage=_entries(necessary.get("storage"), f"{path}: necessary.storage", with_kind=True),
        hosts=_entries(necessary.get("hosts"), f"{path}: necessary.hosts"),
    )
    aliases = data.get("policy_aliases") or {}
    if not isinstance(aliases, dict):
        raise ConfigError(f"{path}: policy_aliases: expected vendor id -> list of names")
    config.policy_aliases = {
        str(k): [str(v)] if isinstance(v, str) else [str(x) for x in v] for k, v in aliases.items()
    }
    config.waivers.extend(parse_waivers(data.get("waivers"), f"{path}: waivers"))
    args = data.get("chromium_args") or []
    if not isinstance(args, list):
        raise ConfigError(f"{path}: chromium_args: expected a list of flags")
    config.extra_chromium_args.extend(str(a) for a in args)
