"""The scanner against the demo: the safe site passes clean (exit 0); on the unsafe twin every
planted violation (src/kelisim/demo/unsafe_plan.py) is found with its rule, state and vendor (exit
1).

The scan reaches the fake vendor hosts the way a closed network would: --resolve maps the real
hostnames to loopback and --ca-cert trusts the demo's CA.
"""

from __future__ import annotations

import json
from urllib.parse import urlsplit

import pytest

from kelisim.scanner.cli import main
from kelisim.settings import DEFAULT_CATALOGUE

pytestmark = pytest.mark.browser

PLAN_STATES = {"no_choice": "none", "reject_all": "reject", "accept_all": "accept"}
DECLARATION_RULES = {"V06", "V07", "V08", "V09", "V14"}  # judged across states: state "any"


def scan(demo, url, out, *extra):
    resolve = [
        a for host, target in demo.host_map.items() for a in ("--resolve", f"MAP {host} {target}")
    ]
    argv = [url, "--out", str(out), "--catalogue", str(DEFAULT_CATALOGUE), "--quiet",
            "--ca-cert", str(demo.ca_cert_path), "--no-sitemap", *resolve, *extra]  # fmt: skip
    return main(argv)


@pytest.fixture(scope="module")
def unsafe_report(demo, tmp_path_factory):
    """One scan of one unsafe page in every state the plan names: each planted violation is made
    to happen on every page (src/kelisim/demo/unsafe_plan.py), so one page proves them all."""
    from kelisim.demo.unsafe_plan import PLANTED

    out = tmp_path_factory.mktemp("unsafe-scan")
    grants = sorted({f"vendor:{g}" for p in PLANTED for g in p.grants})
    states = ",".join(["none", "reject", "accept", "withdraw", *grants])
    code = scan(
        demo, demo.unsafe_url + "/ru/", out, "--pages", "1", "--depth", "0", "--states", states
    )
    return code, json.loads((out / "report.json").read_text())


def test_safe_demo_passes_clean(demo, tmp_path):
    code = scan(demo, demo.site_url + "/ru/", tmp_path, "--pages", "1", "--depth", "0",
                "--policy-url", demo.site_url + "/ru/privacy")  # fmt: skip
    report = json.loads((tmp_path / "report.json").read_text())
    errors = [(f["rule"], f["state"], f["vendor"], f["message"]) for f in report["findings"]
              if f["severity"] == "error"]  # fmt: skip
    assert errors == []
    assert code == 0
    states = {v["state"] for v in report["visits"]}
    assert {"none", "reject", "accept", "withdraw", "fresh", "vendor:yandex_metrika"} <= states
    assert all(v["ok"] for v in report["visits"]), [v for v in report["visits"] if not v["ok"]]
    accepted = {o.get("vendor") for o in report["observations"] if o["state"] == "accept"}
    assert {"yandex_metrika", "google_analytics", "microsoft_clarity", "vk", "matomo"} <= accepted
    third_party = [o for o in report["observations"] if o.get("name") == "yandexuid"]
    assert third_party and report["environment"]["cookie_policy"] == "allow-third-party"


def _planted_ids():
    from kelisim.demo.unsafe_plan import PLANTED

    return [p.id for p in PLANTED]


def planted_state(planted) -> str:
    return PLAN_STATES.get(planted.state) or f"vendor:{planted.grants[0]}"


@pytest.mark.parametrize("planted_id", _planted_ids())
def test_unsafe_twin_finds_each_planted_violation(unsafe_report, planted_id):
    from kelisim.demo.unsafe_plan import PLANTED

    planted = next(p for p in PLANTED if p.id == planted_id)
    code, report = unsafe_report
    assert code == 1
    state = planted_state(planted)
    expected_state = "any" if planted.rule in DECLARATION_RULES else state
    found = {(f["rule"], f["state"], f["vendor"]) for f in report["findings"]}
    assert (planted.rule, expected_state, planted.vendor) in found, (
        f"{planted.id}: {planted.rule}/{expected_state}/{planted.vendor} not in {sorted(found)}"
    )


# What each planted violation must leave in the report in its state, besides the finding: (kind,
# host or None, cookie/storage name or request path prefix, lifetime as set in seconds or None).
DAY = 86400
EVIDENCE = {
    "U01": [("request", "mc.yandex.ru", "/metrika/tag.js", None),
            ("request", "mc.yandex.ru", "/watch/", None)],
    "U02": [("cookie", None, "_ym_uid", None), ("cookie", None, "_ym_d", None),
            ("storage", None, "_ym_uid", None)],
    "U03": [("request", "vk.com", "/rtrg", None), ("cookie", None, "remixstid", None)],
    "U04": [("request", "www.clarity.ms", "/tag/", None),
            ("request", "k.clarity.ms", "/collect", None),
            ("cookie", None, "_clck", None), ("cookie", None, "_clsk", None)],
    "U05": [("request", "websdk.appsflyer.com", "/", None),
            ("request", "wa.appsflyer.com", "/events", None), ("cookie", None, "afUserId", None)],
    "U06": [("cookie", None, "_demo_fp", 365 * DAY)],
    "U07": [("cookie", None, "_clsk", 30 * DAY)],
}  # fmt: skip


def _matches(observation, kind, host, name, lifetime) -> bool:
    if observation["kind"] != kind or (host and observation.get("host") != host):
        return False
    if kind == "request":
        return urlsplit(observation.get("url") or "").path.startswith(name)
    if observation.get("name") != name:
        return False
    return lifetime is None or observation.get("lifetime_seconds") == lifetime


def test_unsafe_twin_evidence_is_what_the_plan_says(unsafe_report):
    """Not only the verdicts: the very requests and cookies docs/demo.md lists, each time."""
    from kelisim.demo.unsafe_plan import PLANTED

    _, report = unsafe_report
    assert set(EVIDENCE) == {p.id for p in PLANTED}
    assert all(v["ok"] for v in report["visits"]), [v for v in report["visits"] if not v["ok"]]
    missing = []
    for planted in PLANTED:
        state = planted_state(planted)
        observed = [
            o
            for o in report["observations"]
            if o["state"] == state and (state == "none" or o.get("phase") != "pre")
        ]
        for expected in EVIDENCE[planted.id]:
            if not any(_matches(o, *expected) for o in observed):
                missing.append((planted.id, state, expected))
    assert missing == []
