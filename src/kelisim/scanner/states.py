"""Consent states: which ones a scan visits, and how each is set on the page.

On a Kelisim site the scanner uses the public `window.kelisim` API, never private hooks, so a scan
proves what a visitor's click would do. On a site with another consent manager, Accept all and
Reject all are made by DuckDuckGo's autoconsent (kelisim.scanner.autoconsent), which knows that
manager's banner; where it does not, or is switched off, the configuration's selectors are clicked
(accept, reject, settings, per-vendor toggles, save). Single-vendor states need window.kelisim or
per-vendor selectors: no other consent manager's banner has a common shape for them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from kelisim.scanner import autoconsent as autoconsent_driver
from kelisim.scanner.config import Selectors
from kelisim.scanner.model import (
    DRIVER_AUTOCONSENT,
    DRIVER_KELISIM,
    DRIVER_SELECTORS,
    STATE_ACCEPT,
    STATE_FRESH,
    STATE_NONE,
    STATE_REJECT,
    STATE_WITHDRAW,
    ConsentDriving,
    granted_vendor,
    vendor_state,
)

BASE_STATES = (STATE_NONE, STATE_REJECT, STATE_ACCEPT, STATE_WITHDRAW)


class StateError(RuntimeError):
    """The page offers no way to set this state (no window.kelisim, autoconsent knows no rule for
    its banner, and no selectors); `consent` says what was tried."""

    def __init__(self, message: str, consent: ConsentDriving | None = None) -> None:
        super().__init__(message)
        self.consent = consent


def all_states(vendor_ids: Iterable[str], only: Iterable[str] | None = None) -> list[str]:
    """none, reject, accept, withdraw, then one single-vendor state per vendor."""
    states = [*BASE_STATES, *(vendor_state(v) for v in vendor_ids)]
    if only is None:
        return states
    wanted = [STATE_NONE, *only]  # the first visit finds links and reachability: always made
    return [s for s in states if s in wanted or (s.startswith("vendor:") and "vendor:*" in wanted)]


def valid_state_names(vendor_ids: Iterable[str]) -> set[str]:
    return {*BASE_STATES, STATE_FRESH, "vendor:*", *(vendor_state(v) for v in vendor_ids)}


def expected_grants(state: str, vendor_ids: Iterable[str]) -> dict[str, bool]:
    """What `kelisim.get()` and the vendors' consent signals must say in `state`."""
    single = granted_vendor(state)
    return {v: state == STATE_ACCEPT or v == single for v in vendor_ids}


KELISIM_READY_JS = """async (timeoutMs) => {
  const until = Date.now() + timeoutMs;
  while (!window.kelisim && Date.now() < until) await new Promise(r => setTimeout(r, 50));
  if (!window.kelisim) return false;
  await window.kelisim.ready;
  return true;
}"""

KELISIM_CALL_JS = """async ([method, arg]) => {
  await window.kelisim.ready;
  const result = arg === null ? window.kelisim[method]() : window.kelisim[method](arg);
  await result;
  return true;
}"""

CONSENT_SIGNAL_JS = """async () => {
  const out = {};
  const plain = (v) => {
    try { return JSON.parse(JSON.stringify(v === undefined ? null : v)); }
    catch (e) { return String(v); }
  };
  if (window.kelisim) {
    try { await window.kelisim.ready; out.kelisim = plain(await window.kelisim.get()); }
    catch (e) { out.kelisim_error = String(e); }
  }
  try {
    out.consent_mode = Array.from(window.dataLayer || [])
      .filter(e => e && typeof e === 'object' && e[0] === 'consent')
      .map(e => [e[1], plain(e[2] || {})]);
  } catch (e) {}
  return out;
}"""


async def has_kelisim(page: Any, timeout_s: float) -> bool:
    try:
        return bool(await page.evaluate(KELISIM_READY_JS, int(timeout_s * 1000)))
    except Exception:  # navigation during the wait: no API to use
        return False


async def call_kelisim(page: Any, method: str, arg: Mapping[str, bool] | None = None) -> None:
    await page.evaluate(KELISIM_CALL_JS, [method, dict(arg) if arg is not None else None])


async def _click(page: Any, selector: str | None, what: str, timeout_s: float) -> None:
    if not selector:
        raise StateError(f"no selector configured for {what}")
    await page.locator(selector).first.click(timeout=timeout_s * 1000)


async def apply_choice(
    page: Any,
    state: str,
    vendor_ids: list[str],
    *,
    use_kelisim: bool,
    selectors: Selectors,
    timeout_s: float,
) -> None:
    """Make the choice `state` stands for (accept, reject or a single vendor)."""
    single = granted_vendor(state)
    if use_kelisim:
        if state == STATE_ACCEPT:
            await call_kelisim(page, "acceptAll")
        elif state == STATE_REJECT:
            await call_kelisim(page, "rejectAll")
        elif single:
            await call_kelisim(page, "set", {v: v == single for v in vendor_ids})
        return
    if not selectors.configured:
        raise StateError("the page has no window.kelisim and no consent selectors are configured")
    if state == STATE_ACCEPT:
        await _click(page, selectors.accept, "accept", timeout_s)
    elif state == STATE_REJECT:
        await _click(page, selectors.reject, "reject", timeout_s)
    elif single:
        toggle = selectors.vendors.get(single)
        if not toggle:
            raise StateError(f"no toggle selector configured for vendor {single}")
        if selectors.settings:
            await _click(page, selectors.settings, "settings", timeout_s)
        box = page.locator(toggle).first
        if not await box.is_checked():
            await box.check(timeout=timeout_s * 1000)
        await _click(page, selectors.save, "save", timeout_s)


async def make_choice(
    page: Any,
    state: str,
    vendor_ids: list[str],
    *,
    use_kelisim: bool,
    selectors: Selectors,
    timeout_s: float,
    autoconsent: autoconsent_driver.Bundle | None,
    autoconsent_missing: str | None = None,
) -> ConsentDriving:
    """Make the choice `state` stands for by the best means the page offers, and say which.

    `autoconsent_missing` is why autoconsent is not available (switched off, not installed); it
    ends up in the report next to the fallback that was taken instead.
    """
    common = {"use_kelisim": use_kelisim, "selectors": selectors, "timeout_s": timeout_s}
    if use_kelisim:
        await apply_choice(page, state, vendor_ids, **common)
        return ConsentDriving(method=DRIVER_KELISIM, cmp="kelisim")
    tried = ConsentDriving(method=None, note=autoconsent_missing)
    if granted_vendor(state):
        tried.note = "single-vendor states need window.kelisim or consent.vendors selectors"
    elif autoconsent is not None:
        action = autoconsent_driver.OPT_IN if state == STATE_ACCEPT else autoconsent_driver.OPT_OUT
        session = autoconsent_driver.Session(autoconsent, action)
        tried = await session.run(page, min(timeout_s, autoconsent_driver.RUN_TIMEOUT_S))
        if tried.method == DRIVER_AUTOCONSENT:
            return tried
    if not selectors.configured:
        why = tried.note or "no consent manager was driven"
        raise StateError(f"{why}; no consent selectors configured (scan.yaml consent:)", tried)
    await apply_choice(page, state, vendor_ids, **common)
    tried.method = DRIVER_SELECTORS
    if granted_vendor(state):
        tried.note = None  # the configured toggle did it
    return tried


async def withdraw(page: Any, *, use_kelisim: bool, selectors: Selectors, timeout_s: float) -> None:
    """Withdraw consent; the CMP may reload the page, which ends the evaluation early."""
    if use_kelisim:
        try:
            await call_kelisim(page, "withdraw")
        except Exception as exc:  # a reload destroys the context: that is success
            if "context was destroyed" not in str(exc) and "navigat" not in str(exc).lower():
                raise
        return
    await _click(page, selectors.withdraw, "withdraw", timeout_s)


async def consent_signal(page: Any) -> dict[str, Any]:
    try:
        return await page.evaluate(CONSENT_SIGNAL_JS)
    except Exception as exc:  # recorded, the rule then has nothing to compare
        return {"error": str(exc)}


def reported_grants(value: Any, vendor_ids: Iterable[str]) -> dict[str, bool] | None:
    """Read vendor grants out of `kelisim.get()` whatever its exact shape.

    Accepts `{grants: {id: bool}}`, `{vendors: {id: bool}}`, `{granted: [ids]}` or `{id: bool}`;
    None (no choice recorded) means nothing is granted. Vendors a map leaves out are not judged.
    """
    ids = list(vendor_ids)
    if value is None:
        return dict.fromkeys(ids, False)
    if not isinstance(value, dict):
        return None
    for key in ("grants", "vendors", "choices"):
        inner = value.get(key)
        if isinstance(inner, dict) and any(v in inner for v in ids):
            return {v: bool(inner[v]) for v in ids if v in inner}
    granted = value.get("granted")
    if isinstance(granted, list):
        return {v: v in granted for v in ids}
    if any(v in value for v in ids):
        return {v: bool(value[v]) for v in ids if v in value}
    return None
