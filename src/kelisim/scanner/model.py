"""The scanner's plain data: what a visit saw (observations), what the rules concluded (findings).

Everything here is JSON-shaped on purpose: report.json is the contract CI, the admin UI and the
baseline comparison read, so the in-memory objects and the file share one vocabulary.
"""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass, field
from typing import Any

# The consent states a scan can visit. "vendor:<id>" grants that single vendor.
STATE_NONE = "none"
STATE_REJECT = "reject"
STATE_ACCEPT = "accept"
STATE_WITHDRAW = "withdraw"
STATE_FRESH = "fresh"  # a new context after others consented: the carry-over probe (V11)
VENDOR_STATE_PREFIX = "vendor:"

# Phases of a visit: before the scanner made a choice, after it, and after the reload that follows.
PHASE_PRE = "pre"
PHASE_GRANTED = "granted"  # accept-then-withdraw: between the accept and the withdrawal
PHASE_WITHDRAWING = "withdrawing"  # from withdraw() until the page the CMP reloads has loaded
PHASE_POST = "post"
PHASE_FINAL = "final"  # the cookie jar and storage as they stand when the visit ends

SEVERITIES = ("error", "warning", "info")


def vendor_state(vendor_id: str) -> str:
    return f"{VENDOR_STATE_PREFIX}{vendor_id}"


def granted_vendor(state: str) -> str | None:
    """The single vendor a "vendor:<id>" state grants, else None."""
    return state[len(VENDOR_STATE_PREFIX) :] if state.startswith(VENDOR_STATE_PREFIX) else None


@dataclass
class Observation:
    """One thing a page did: set a cookie, wrote storage, or sent a request.

    `kind` is "cookie", "storage" or "request"; `key` identifies the artefact independent of time
    (cookie name + domain, storage kind + key, request host) so findings about it get stable ids.
    """

    kind: str
    state: str
    page: str
    phase: str
    key: str
    host: str | None = None  # request host, cookie domain, or the storage's origin host
    name: str | None = None  # cookie name, storage key, IndexedDB database name
    url: str | None = None
    frame_url: str | None = None
    source: str | None = None  # how it was seen: set-cookie, js, jar, snapshot, cdp, hook
    resource_type: str | None = None
    method: str | None = None
    status: int | None = None
    error: str | None = None  # e.g. net::ERR_ABORTED — counted anyway, the server got it
    initiator: str | None = None  # the script URL Chromium names as the initiator
    storage_kind: str | None = None  # local | session | indexeddb
    party: str | None = None  # first | third
    lifetime_seconds: float | None = None  # as set; None = session cookie
    partition_key: str | None = None
    blocked: list[str] | None = None  # Chromium's reasons for refusing a Set-Cookie
    value_hash: str | None = None  # a short hash, never the value: values can be personal data
    after_choice: bool = False  # written or sent after the scanner's choice (new since then)
    on_leave: bool = False  # sent while the visit navigated away (pagehide / visibilitychange)
    worker: str | None = None  # "service_worker" or "worker" when a worker sent it
    vendor: str | None = None
    candidates: list[str] | None = None  # every vendor the artefact could belong to (shared hosts)
    declared: bool = False  # matched a declaration (a vendor's cookie/storage spec, or allow-list)
    necessary: bool = False  # belongs to the CMP, the site's allow-list or a required purpose

    def to_dict(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v is not None}


@dataclass
class Finding:
    """A rule's verdict with the evidence a person needs to reproduce it."""

    rule: str
    severity: str
    state: str
    vendor: str | None
    artefact: str
    message: str
    page: str | None = None
    evidence: dict[str, Any] = field(default_factory=dict)
    pages: list[str] = field(default_factory=list)
    waived: str | None = None  # the waiver's reason
    new: bool = True  # False when the baseline already had it

    @property
    def id(self) -> str:
        """Stable across runs: rule, state, vendor and artefact — never times or random values."""
        raw = "|".join((self.rule, self.state, self.vendor or "-", self.artefact))
        return hashlib.sha256(raw.encode()).hexdigest()[:16]

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["id"] = self.id
        return {"id": data.pop("id"), **data}


@dataclass
class BannerMetrics:
    """What the first layer of the consent banner looked like (V13)."""

    page: str
    found: bool
    buttons: dict[str, dict[str, Any]] = field(default_factory=dict)  # accept/reject/settings
    prechecked: list[str] = field(default_factory=list)
    screenshot_png_b64: str | None = None
    settings_screenshot_png_b64: str | None = None
    # Read back from a shard's report.json (kelisim.scanner.merge): the screenshots were taken
    # and stay in that shard's report.html.
    screenshots_elsewhere: tuple[bool, bool] | None = None

    @property
    def has_screenshot(self) -> bool:
        return bool(self.screenshot_png_b64) or bool(
            self.screenshots_elsewhere and self.screenshots_elsewhere[0]
        )

    @property
    def has_settings_screenshot(self) -> bool:
        return bool(self.settings_screenshot_png_b64) or bool(
            self.screenshots_elsewhere and self.screenshots_elsewhere[1]
        )


# How a visit set its consent state (ConsentDriving.method).
DRIVER_KELISIM = "kelisim"  # the page's window.kelisim API
DRIVER_AUTOCONSENT = "autoconsent"  # DuckDuckGo autoconsent's rule for the detected CMP
DRIVER_SELECTORS = "selectors"  # the consent selectors of the scan configuration (scan.yaml)


@dataclass
class ConsentDriving:
    """Which consent manager a visit met and how its choice was made, so a reader of the report
    can tell a state the scanner really set from one it only hoped for. `method` None: the state
    could not be set at all."""

    method: str | None
    cmp: str | None = None  # "kelisim", or autoconsent's name for the consent manager
    action: str | None = None  # autoconsent's optOut / optIn
    popup: bool | None = None  # autoconsent saw the banner open
    result: bool | None = None  # autoconsent's opt-out / opt-in succeeded
    self_test: bool | None = None  # autoconsent's check that the refusal was stored; None: not run
    note: str | None = None  # why a fallback was taken, or why nothing could be done
    errors: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v not in (None, [])}


@dataclass
class Visit:
    """One page in one consent state in a fresh browser context."""

    page: str
    state: str
    ok: bool = True
    error: str | None = None
    duration_ms: int = 0
    observations: list[Observation] = field(default_factory=list)
    consent_signal: dict[str, Any] = field(default_factory=dict)  # kelisim.get(), Consent Mode
    canvas_reads: list[dict[str, Any]] = field(default_factory=list)
    links: list[str] = field(default_factory=list)
    banner: BannerMetrics | None = None
    settled: bool = True  # False when the settle policy hit its maximum
    stuck: list[str] = field(default_factory=list)  # what was still in flight then
    attempts: int = 1
    consent: ConsentDriving | None = None  # choice states only
