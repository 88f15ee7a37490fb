"""Tags that start late, on interaction or on leaving the page, in real Chromium against the
loopback twins /late/ and /late-bad/ (tests/support/scanner_site.py): each one is observed and
attributed, every planted violation is reported with its rule and state, and the good twin,
whose tags only start late, passes clean (no V09 for what it did late)."""

from __future__ import annotations

import json

import pytest

from tests.support.scanner_site import LATE_BAD_VIOLATIONS, LoopbackSite
from tests.test_scanner_browser import scan

pytestmark = pytest.mark.browser
STATES = "none,reject,accept,withdraw,vendor:google_analytics"
LATE_VENDORS = {"google_analytics", "google_tag_manager", "yandex_metrika", "vk", "mail_ru"}


@pytest.fixture(scope="module")
def site():
    server = LoopbackSite()
    yield server
    server.stop()


def _report(site, path, out):
    code = scan(site, path, out, "--states", STATES, "--pages", "1")
    return code, json.loads((out / "report.json").read_text())


def _seen(report, state):
    return {
        (o["kind"], o.get("vendor"), o.get("name") or o.get("host"))
        for o in report["observations"]
        if o["state"] == state
    }


def test_late_tags_of_the_good_twin_are_seen_when_granted_and_pass_clean(site, tmp_path):
    code, report = _report(site, "/late/", tmp_path)
    errors = [(f["rule"], f["state"], f["vendor"]) for f in report["findings"]
              if f["severity"] == "error"]  # fmt: skip
    assert errors == [] and code == 0
    accepted = _seen(report, "accept")
    assert {
        ("cookie", "google_analytics", "_ga"),  # gtag.js, 4 s after load by a timer
        ("request", "google_analytics", "www.google-analytics.com"),
        ("request", "google_tag_manager", "www.googletagmanager.com"),  # the container
        ("request", "yandex_metrika", "mc.yandex.ru"),  # the container's own 4 s timer
        ("storage", "yandex_metrika", "_ym_uid"),
        ("request", "vk", "vk.com"),  # the pixel on first scroll
        ("request", "mail_ru", "top-fwz1.mail.ru"),  # the beacon on pagehide
    } <= accepted
    gtag = next(o for o in report["observations"] if "/gtag/js" in (o.get("url") or ""))
    assert gtag["vendor"] == "google_analytics"  # GTM's host, Google Analytics' path
    frame_storage = [
        o for o in report["observations"]
        if o["kind"] == "storage" and "mc.yandex.ru" in (o.get("frame_url") or o.get("host") or "")
    ]  # fmt: skip
    assert frame_storage, "the cross-site Metrica iframe's localStorage must be observed"
    beacons = [o for o in report["observations"]
               if o["state"] == "accept" and "leave=1" in (o.get("url") or "")]  # fmt: skip
    assert any(o["on_leave"] for o in beacons), "the pagehide beacon of the final leave"
    assert any(o.get("worker") == "service_worker" and "/sw-ping" in o["url"]
               for o in report["observations"])  # fmt: skip
    never_seen = {(f["vendor"], f["evidence"].get("cookie") or f["evidence"].get("storage_key"))
                  for f in report["findings"] if f["rule"] == "V09"}  # fmt: skip
    for late in (("google_analytics", "_ga"), ("yandex_metrika", "_ym_uid")):
        assert late not in never_seen, late
    assert not [o for o in report["observations"]
                if o["state"] == "none" and o.get("vendor") in LATE_VENDORS]  # fmt: skip
    assert any("clock" in step for step in report["environment"]["observation"])


def test_late_violations_of_the_bad_twin_are_reported_with_rule_state_and_vendor(site, tmp_path):
    code, report = _report(site, "/late-bad/", tmp_path)
    assert code == 1
    found = {(f["rule"], f["state"], f["vendor"]) for f in report["findings"]}
    for violation in LATE_BAD_VIOLATIONS:
        assert violation in found, violation
    unknown = next(f for f in report["findings"] if f["rule"] == "V02" and f["vendor"] == "unknown")
    assert unknown["evidence"]["host"] == "pixel.trackly.io"
    v06 = [f for f in report["findings"] if f["rule"] == "V06"]
    assert any(f["evidence"]["host"] == "pixel.trackly.io" for f in v06)
    # mail_ru is only ever sent on pagehide: after withdraw() that beacon is the V10 evidence.
    v10 = next(f for f in report["findings"] if f["rule"] == "V10" and f["vendor"] == "mail_ru")
    assert v10["state"] == "withdraw" and "leave=" in v10["evidence"]["url"]
    sw = [o for o in report["observations"]
          if o["state"] == "none" and o.get("worker") == "service_worker"]  # fmt: skip
    assert [o.get("vendor") for o in sw if o.get("host") == "vk.com"] == ["vk"]
