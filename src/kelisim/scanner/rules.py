"""Rules V01–V14: from attributed observations to findings with evidence.

A finding is about one artefact (a cookie, a storage key, a request host, a banner property) of one
vendor in one consent state; the same artefact on many pages is one finding listing the pages, so
the finding's id (rule + state + vendor + artefact) stays stable between runs. Rules that judge the
declaration rather than a state (V06–V09, V14) use the state "any".

Thresholds follow the issue: V08 fires when the lifetime a site asked for exceeds 1.5x the declared
one and by at least a day. V13's "equal prominence" allows 1.5x the area, a 1.2x font size and 100
units of font weight between Accept and Reject.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from kelisim.scanner.config import ScanConfig
from kelisim.scanner.knowledge import (
    POLICY_ALIASES,
    is_fingerprinting_host,
    site_of,
    tracker_cookie_category,
)
from kelisim.scanner.model import (
    PHASE_FINAL,
    PHASE_POST,
    PHASE_WITHDRAWING,
    STATE_ACCEPT,
    STATE_FRESH,
    STATE_NONE,
    STATE_REJECT,
    STATE_WITHDRAW,
    Finding,
    Observation,
    Visit,
    granted_vendor,
)
from kelisim.scanner.states import expected_grants, reported_grants

ANY_STATE = "any"
UNKNOWN_VENDOR = "unknown"
DAY = 86400

RULES: dict[str, tuple[str, str]] = {
    "V01": ("error", "storage before consent"),
    "V02": ("error", "request or pixel before consent"),
    "V03": ("error", "tracking after reject"),
    "V04": ("error", "vendor exceeds its grant"),
    "V05": ("error", "consent signal misreports the state"),
    "V06": ("error", "undeclared artefact"),
    "V07": ("warning", "wrong purpose"),
    "V08": ("error", "lifetime exceeds declaration"),
    "V09": ("warning", "declared but never observed"),
    "V10": ("error", "revocation ineffective"),
    "V11": ("error", "cross-context carry-over"),
    "V12": ("error", "high-risk technique before consent"),
    "V13": ("error", "banner design"),
    "V14": ("error", "policy drift"),
}

# Which states each rule is judged in (for junit's rule x state matrix).
RULE_STATES: dict[str, str] = {
    "V01": "none", "V02": "none", "V03": "reject", "V04": "vendor", "V05": "choice",
    "V06": "any", "V07": "any", "V08": "any", "V09": "any", "V10": "withdraw",
    "V11": "fresh", "V12": "none", "V13": "none", "V14": "any",
}  # fmt: skip


@dataclass
class Context:
    """What the rules need besides the visits."""

    catalogue: Any
    config: ScanConfig
    first_party_sites: set[str] = field(default_factory=set)
    cmp_hosts: set[str] = field(default_factory=set)
    policy: dict[str, Any] | None = None

    @property
    def vendor_ids(self) -> list[str]:
        return [v.id for v in self.catalogue.vendors]


class Findings:
    """Collects findings, merging repeats of the same artefact into one with a list of pages."""

    def __init__(self) -> None:
        self.by_id: dict[str, Finding] = {}

    def add(
        self,
        rule: str,
        state: str,
        vendor: str | None,
        artefact: str,
        message: str,
        page: str | None = None,
        severity: str | None = None,
        **evidence: Any,
    ) -> None:
        finding = Finding(
            rule=rule,
            severity=severity or RULES[rule][0],
            state=state,
            vendor=vendor,
            artefact=artefact,
            message=message,
            page=page,
            evidence={k: v for k, v in evidence.items() if v not in (None, "", [])},
        )
        known = self.by_id.get(finding.id)
        if known is None:
            finding.pages = [page] if page else []
            self.by_id[finding.id] = finding
            return
        if page and page not in known.pages:
            known.pages.append(page)
            known.pages.sort()
        # Visits finish in whatever order the workers make them: the evidence kept is the one
        # that sorts first, never the first one seen, so two scans of one site agree.
        if _evidence_order(finding) < _evidence_order(known):
            known.evidence, known.message, known.page = (
                finding.evidence,
                finding.message,
                finding.page,
            )

    def sorted(self) -> list[Finding]:
        for finding in self.by_id.values():
            finding.evidence["pages_count"] = max(1, len(finding.pages))
        order = {"error": 0, "warning": 1, "info": 2}
        return sorted(
            self.by_id.values(),
            key=lambda f: (order.get(f.severity, 3), f.rule, f.state, f.vendor or "", f.artefact),
        )


def _evidence_order(finding: Finding) -> tuple[bool, bool, bool, bool, str]:
    """Steady evidence first: a request that completed, in the settled phase, not on leaving,
    seen by the page itself. Which aborted or in-between copies a run also caught depends on
    timing; the steady copy is there every time, so choosing it first keeps two scans' evidence
    identical. A worker's copy of the same request is reported later, through Playwright's
    context events, and on a busy machine a visit may end before it arrives."""
    ev = finding.evidence
    return (
        bool(ev.get("error")),
        ev.get("phase") not in (PHASE_POST, PHASE_FINAL, None),
        bool(ev.get("on_leave")),
        bool(ev.get("worker")),
        json.dumps([finding.page, ev], sort_keys=True, default=str),
    )


def granted(state: str, vendor_ids: Iterable[str]) -> set[str]:
    if state == STATE_ACCEPT:
        return set(vendor_ids)
    single = granted_vendor(state)
    return {single} if single else set()


def _describe(obs: Observation) -> str:
    if obs.kind == "cookie":
        return f"cookie {obs.name} ({(obs.host or '').lstrip('.')})"
    if obs.kind == "storage":
        return (
            f"{obs.storage_kind}Storage key {obs.name}"
            if obs.storage_kind != "indexeddb"
            else (f"IndexedDB database {obs.name}")
        )
    return f"request to {obs.host}"


def stable_url(url: str | None) -> str | None:
    """The URL without its query values: trackers put times and random ids there, which would
    make two scans of an unchanged site disagree. The parameter names stay (they say what was sent).
    """
    if not url:
        return url
    parts = urlsplit(url)
    names = sorted({p.split("=", 1)[0] for p in parts.query.split("&") if p})
    query = "?" + "&".join(f"{n}=…" for n in names) if names else ""
    return f"{parts.scheme}://{parts.netloc}{parts.path}{query}"


def _initiator(obs: Observation) -> str | None:
    """The initiator, unless it is only the page itself: Chromium names the document for some
    requests and nothing for others, depending on timing, and the page is in the finding already."""
    initiator = stable_url(obs.initiator)
    return None if initiator == stable_url(obs.page) else initiator


def _evidence(obs: Observation) -> dict[str, Any]:
    return {
        "kind": obs.kind,
        "url": stable_url(obs.url),
        "cookie": obs.name if obs.kind == "cookie" else None,
        "storage_key": obs.name if obs.kind == "storage" else None,
        "host": obs.host,
        "initiator": _initiator(obs),
        "source": obs.source,
        "phase": obs.phase,
        "on_leave": obs.on_leave or None,
        "worker": obs.worker,
        "resource_type": obs.resource_type,
        "error": obs.error,
        "blocked": obs.blocked,
        "partition_key": obs.partition_key,
        "frame": obs.frame_url if obs.frame_url != obs.page else None,
    }


def _tracked(obs: Observation, allowed: set[str]) -> str | None:
    """The vendor to blame when `obs` is an artefact that no grant covers, else None.

    An artefact no catalogue vendor covers and no allow-list names is blamed on UNKNOWN_VENDOR:
    no choice of the visitor can ever have allowed it, so firing before consent or after a
    refusal is a consent violation as well as an undeclared one (V06).
    """
    if obs.necessary:
        return None
    if not obs.candidates:
        return None if obs.declared or obs.blocked else UNKNOWN_VENDOR
    if any(c in allowed for c in obs.candidates):
        return None
    return obs.vendor


def evaluate(visits: list[Visit], ctx: Context) -> list[Finding]:
    findings = Findings()
    vendor_ids = ctx.vendor_ids
    first_visit = {(o.page, o.key) for v in visits if v.state == STATE_NONE for o in v.observations}
    for visit in visits:
        allowed = granted(visit.state, vendor_ids)
        _state_rules(visit, allowed, ctx, findings, first_visit)
        _consent_signal_rule(visit, ctx, findings)
        if visit.banner is not None:
            _banner_rule(visit, findings)
    all_obs = [o for v in visits for o in v.observations]
    _declaration_rules(all_obs, ctx, findings)
    _never_observed_rule(visits, all_obs, ctx, findings)
    _policy_rule(all_obs, ctx, findings)
    return findings.sorted()


def _state_rules(
    visit: Visit,
    allowed: set[str],
    ctx: Context,
    out: Findings,
    first_visit: set[tuple[str, str]],
) -> None:
    """`first_visit`: (page, artefact) pairs of the "none" visits, so the fresh-context probe
    only reports what a first visit did not already do (that is V01/V02, not carry-over)."""
    state = visit.state
    for obs in visit.observations:
        vendor = _tracked(obs, allowed)
        if vendor is None:
            continue
        what = _describe(obs)
        ev = _evidence(obs)
        if state == STATE_NONE:
            if obs.kind == "request":
                out.add("V02", state, vendor, obs.key, f"{what} before any choice", obs.page, **ev)
                if is_fingerprinting_host(obs.host or ""):
                    out.add(
                        "V12", state, vendor, obs.key,
                        f"known fingerprinting host {obs.host} loaded before consent",
                        obs.page, **ev,
                    )  # fmt: skip
            else:
                out.add("V01", state, vendor, obs.key, f"{what} before any choice", obs.page, **ev)
        elif state == STATE_FRESH:
            if (obs.page, obs.key) in first_visit:
                continue
            out.add(
                "V11", state, vendor, obs.key,
                f"{what} in a fresh browser context after other contexts consented",
                obs.page, **ev,
            )  # fmt: skip
        elif state == STATE_WITHDRAW:
            if obs.kind == "request" and obs.phase in (PHASE_WITHDRAWING, PHASE_POST):
                # A beacon the withdrawn page sends on pagehide is how a vendor that was never
                # told about the withdrawal leaks: it is sent after withdraw(), so it counts.
                out.add("V10", state, vendor, obs.key, f"{what} after withdrawal", obs.page, **ev)
            elif obs.kind != "request" and obs.phase == PHASE_FINAL and _site_owned(obs, ctx):
                out.add(
                    "V10", state, vendor, obs.key, f"{what} kept after withdrawal", obs.page, **ev
                )
        elif obs.after_choice or (obs.kind == "request" and obs.phase == PHASE_POST):
            if state == STATE_REJECT:
                out.add("V03", state, vendor, obs.key, f"{what} after Reject all", obs.page, **ev)
            elif granted_vendor(state):
                out.add(
                    "V04", state, vendor, obs.key,
                    f"{what} when only {granted_vendor(state)} was granted", obs.page, **ev,
                )  # fmt: skip
    if state in (STATE_NONE, STATE_FRESH):
        for read in visit.canvas_reads:
            host = read.get("host") or ""
            if not host or site_of(host) in ctx.first_party_sites or host in ctx.cmp_hosts:
                continue
            out.add(
                "V12", state, None, f"canvas:{host}",
                f"canvas read back ({read.get('api')}) by a script from {host} before consent",
                visit.page, initiator=read.get("initiator"), frame=read.get("frame"),
            )  # fmt: skip


def _site_owned(obs: Observation, ctx: Context) -> bool:
    """Only what the site can delete counts for V10: its own cookies and its own storage."""
    host = (obs.host or "").lstrip(".")
    return bool(host) and site_of(host) in ctx.first_party_sites


def _consent_signal_rule(visit: Visit, ctx: Context, out: Findings) -> None:
    state = visit.state
    signal = visit.consent_signal or {}
    if not visit.ok or not signal:
        return
    vendor_ids = ctx.vendor_ids
    if "kelisim" in signal:
        expected = expected_grants(state, vendor_ids)
        if state in (STATE_NONE, STATE_FRESH):
            expected = dict.fromkeys(vendor_ids, False)
        reported = reported_grants(signal["kelisim"], vendor_ids)
        required = _required_vendors(ctx)
        if reported is not None:
            wrong = [v for v in reported if v not in required and reported[v] != expected[v]]
            if wrong:
                rule = "V11" if state == STATE_FRESH else "V05"
                out.add(
                    rule, state, wrong[0], "signal:kelisim.get",
                    f"kelisim.get() reports {', '.join(f'{v}={reported[v]}' for v in wrong)}"
                    f" in state {state}",
                    visit.page, reported={v: reported[v] for v in wrong},
                )  # fmt: skip
    commands = signal.get("consent_mode") or []
    if not commands:
        return
    gcm_vendors = [v.id for v in ctx.catalogue.vendors if v.consent_api == "google_consent_mode"]
    should_grant = bool(granted(state, vendor_ids) & set(gcm_vendors))
    current: dict[str, str] = {}
    for _command, values in commands:
        if isinstance(values, dict):
            current.update({k: str(v) for k, v in values.items()})
    vendor = gcm_vendors[0] if gcm_vendors else None
    storage = {k: current.get(k) for k in ("analytics_storage", "ad_storage") if k in current}
    said_granted = [k for k, v in storage.items() if v == "granted"]
    if not should_grant and said_granted:
        out.add(
            "V05", state, vendor, "signal:consent_mode",
            f"Google Consent Mode says {', '.join(said_granted)}=granted in state {state}",
            visit.page, consent_mode=storage,
        )  # fmt: skip


def _required_vendors(ctx: Context) -> set[str]:
    required = {p.id for p in ctx.catalogue.purposes if p.required}
    return {v.id for v in ctx.catalogue.vendors if v.purposes and set(v.purposes) <= required}


def _banner_rule(visit: Visit, out: Findings) -> None:
    banner = visit.banner
    if banner is None:
        return
    buttons = banner.buttons
    accept, reject = buttons.get("accept"), buttons.get("reject")
    shots = {"screenshot": banner.has_screenshot}
    if not banner.found or not accept:
        out.add(
            "V13", STATE_NONE, None, "banner:missing",
            "no consent banner with an Accept button found on the first visit",
            visit.page, severity="warning",
        )  # fmt: skip
        return
    if not reject:
        out.add(
            "V13", STATE_NONE, None, "banner:no-reject",
            "no Reject button on the banner's first layer", visit.page, buttons=buttons, **shots,
        )  # fmt: skip
    else:
        problems = []
        if accept["area"] > 1.5 * max(reject["area"], 1):
            problems.append(f"Accept is {accept['area'] / max(reject['area'], 1):.1f}x larger")
        if accept["font_size"] > 1.2 * reject["font_size"]:
            problems.append("Accept has a larger font")
        if accept["font_weight"] - reject["font_weight"] >= 100:
            problems.append("Accept is bolder")
        if accept.get("in_viewport") and not reject.get("in_viewport"):
            problems.append("Reject is outside the first screen")
        if problems:
            out.add(
                "V13", STATE_NONE, None, "banner:prominence",
                "unequal prominence: " + "; ".join(problems), visit.page, buttons=buttons, **shots,
            )  # fmt: skip
    if banner.prechecked:
        out.add(
            "V13", STATE_NONE, None, "banner:prechecked",
            f"pre-ticked choices on the second layer: {', '.join(banner.prechecked)}",
            visit.page, prechecked=banner.prechecked,
        )  # fmt: skip


def _declaration_rules(observations: list[Observation], ctx: Context, out: Findings) -> None:
    purposes = {p.id for p in ctx.catalogue.purposes}
    by_id = {v.id: v for v in ctx.catalogue.vendors}
    longest: dict[str, tuple[float, Observation]] = {}
    for obs in observations:
        if not obs.declared and not obs.necessary:
            if obs.kind == "request" and obs.error and not obs.status and obs.vendor is None:
                pass  # counted anyway: an aborted request still reached the server
            out.add(
                "V06", ANY_STATE, obs.vendor, obs.key,
                f"{_describe(obs)} is not declared in the catalogue or the scan's allow-list",
                obs.page, state_seen=obs.state, **_evidence(obs),
            )  # fmt: skip
        if obs.kind == "cookie" and obs.name:
            category = tracker_cookie_category(obs.name)
            if category and obs.necessary and obs.vendor is None:
                out.add(
                    "V07", ANY_STATE, None, obs.key,
                    f"cookie {obs.name} is treated as necessary but is a known {category} cookie",
                    obs.page, severity="error", **_evidence(obs),
                )  # fmt: skip
            elif category and obs.vendor and category in purposes:
                vendor = by_id.get(obs.vendor)
                if vendor and category not in vendor.purposes:
                    out.add(
                        "V07", ANY_STATE, obs.vendor, obs.key,
                        f"cookie {obs.name} is a {category} cookie but {obs.vendor} is declared"
                        f" for {', '.join(vendor.purposes)}",
                        obs.page, **_evidence(obs),
                    )  # fmt: skip
            if obs.declared and obs.vendor and obs.lifetime_seconds is not None:
                # What the site asked for beats what the jar kept (the jar caps at 400 days).
                rank = 1 if obs.source in ("set-cookie", "js") else 0
                score = obs.lifetime_seconds + rank * 1e12
                if obs.key not in longest or score > longest[obs.key][0]:
                    longest[obs.key] = (score, obs)
    for _score, obs in longest.values():
        spec = _cookie_spec(ctx, obs)
        if spec is None or obs.lifetime_seconds is None or obs.lifetime_seconds <= 0:
            continue
        if not getattr(spec, "lifetime_known", True):
            continue  # the catalogue says it does not know: nothing to exceed
        declared = spec.lifetime_seconds or 0
        observed = obs.lifetime_seconds
        if observed > 1.5 * declared and observed - declared >= DAY:
            out.add(
                "V08", ANY_STATE, obs.vendor, obs.key,
                f"cookie {obs.name} lives {_duration(observed)}, declared "
                f"{_duration(declared) if declared else 'session'}",
                obs.page, observed_seconds=round(observed), declared_seconds=declared,
                **_evidence(obs),
            )  # fmt: skip


def _cookie_spec(ctx: Context, obs: Observation) -> Any:
    for vid in obs.candidates or []:
        for spec in ctx.catalogue.vendor(vid).cookies:
            if spec.matches(obs.name or ""):
                return spec
    return None


def _duration(seconds: float) -> str:
    if seconds >= DAY:
        return f"{seconds / DAY:.0f} days"
    if seconds >= 3600:
        return f"{seconds / 3600:.1f} hours"
    return f"{seconds / 60:.0f} minutes"


def _never_observed_rule(
    visits: list[Visit], observations: list[Observation], ctx: Context, out: Findings
) -> None:
    """V09 only for vendors the scan actually granted (accept or their own state) on some page."""
    granted_somewhere: set[str] = set()
    for visit in visits:
        if visit.ok:
            granted_somewhere |= granted(visit.state, ctx.vendor_ids)
    cookie_names = [
        (o.name or "", (o.host or "").lstrip(".")) for o in observations if o.kind == "cookie"
    ]
    storage_keys = [(o.storage_kind, o.name or "") for o in observations if o.kind == "storage"]
    blocked_3p = ctx.config.cookie_policy == "block-third-party"
    for vendor in ctx.catalogue.vendors:
        if vendor.id not in granted_somewhere:
            continue
        for spec in vendor.cookies:
            if blocked_3p and spec.party == "third":
                continue
            if not any(spec.matches(n) for n, _ in cookie_names):
                out.add(
                    "V09", ANY_STATE, vendor.id, f"declared-cookie:{spec.name}",
                    f"declared cookie {spec.name} of {vendor.id} was never seen, even when granted",
                )  # fmt: skip
        for spec in vendor.storage:
            if not any(k == spec.kind and spec.matches(n) for k, n in storage_keys):
                out.add(
                    "V09", ANY_STATE, vendor.id, f"declared-storage:{spec.kind}:{spec.key}",
                    f"declared {spec.kind} storage {spec.key} of {vendor.id} was never seen",
                )  # fmt: skip


def _names_for(vendor: Any, ctx: Context) -> list[str]:
    names = [
        vendor.name,
        *POLICY_ALIASES.get(vendor.id, ()),
        *ctx.config.policy_aliases.get(vendor.id, []),
    ]
    return [n for n in names if n]


def _mentions(text: str, name: str) -> bool:
    pattern = r"(?<![\w])" + re.escape(name.casefold()) + r"(?![\w])"
    return re.search(pattern, text) is not None


def _policy_rule(observations: list[Observation], ctx: Context, out: Findings) -> None:
    policy = ctx.policy
    if not policy:
        return
    url = policy.get("url")
    text = (policy.get("text") or "").casefold()
    if policy.get("error") or not text.strip():
        out.add(
            "V14", ANY_STATE, None, "policy:unreachable",
            f"privacy policy {url} could not be read: {policy.get('error') or 'empty page'}",
            url,
        )  # fmt: skip
        return
    seen = {o.vendor for o in observations if o.vendor}
    for vendor in ctx.catalogue.vendors:
        if vendor.id in _required_vendors(ctx) and vendor.id not in seen:
            continue
        if not any(_mentions(text, n) for n in _names_for(vendor, ctx)):
            origin = "seen and declared" if vendor.id in seen else "declared"
            out.add(
                "V14", ANY_STATE, vendor.id, f"policy:{vendor.id}",
                f"{vendor.name} ({origin}) is not named on the privacy policy page", url,
                names_tried=_names_for(vendor, ctx),
            )  # fmt: skip
    unknown_sites = {
        site_of(o.host or "")
        for o in observations
        if o.kind == "request" and o.vendor is None and not o.necessary and o.host
    }
    for site in sorted(unknown_sites):
        if site and site not in text:
            out.add(
                "V14", ANY_STATE, None, f"policy:{site}",
                f"undeclared third party {site} is not named on the privacy policy page", url,
            )  # fmt: skip
