"""Scanner core on synthetic observations: attribution, rules, waivers, baseline, exit codes.

No browser: every visit here is built by hand, so each rule is shown to fire on exactly the
evidence it names and to stay quiet on its near miss.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from kelisim.domain.catalogue import load
from kelisim.scanner.attribute import Attributor
from kelisim.scanner.config import (
    AllowEntry,
    ConfigError,
    Necessary,
    ScanConfig,
    Waiver,
    parse_waivers,
)
from kelisim.scanner.cookies import parse_cookie_line
from kelisim.scanner.model import BannerMetrics, Observation, Visit
from kelisim.scanner.rules import Context, evaluate
from kelisim.scanner.triage import apply_baseline, apply_waivers, exit_code
from kelisim.settings import DEFAULT_CATALOGUE

SITE = "https://creditplus.kz/"


@pytest.fixture(scope="module")
def catalogue():
    return load(DEFAULT_CATALOGUE)


def cookie(name, host="creditplus.kz", state="none", **kw) -> Observation:
    kw.setdefault("phase", "final")
    return Observation(
        kind="cookie", state=state, page=SITE, key=f"cookie:{name}@{host}",
        host=host, name=name, source=kw.pop("source", "jar"), **kw,
    )  # fmt: skip


def storage(key, kind="local", host="creditplus.kz", state="none", **kw) -> Observation:
    kw.setdefault("phase", "final")
    return Observation(
        kind="storage", state=state, page=SITE, key=f"storage:{kind}:{key}", host=host,
        name=key, storage_kind=kind, source="snapshot", **kw,
    )  # fmt: skip


def request(url, state="none", **kw) -> Observation:
    from urllib.parse import urlsplit

    host = urlsplit(url).hostname
    kw.setdefault("phase", "pre")
    return Observation(
        kind="request", state=state, page=SITE, key=f"request:{host}", host=host, url=url,
        source="cdp", **kw,
    )  # fmt: skip


def run_rules(catalogue, visits, config=None, policy=None):
    config = config or ScanConfig(urls=[SITE], out=Path("."), catalogue=Path("vendors.yaml"))
    attributor = Attributor(catalogue, config.necessary, [SITE])
    observations = [o for v in visits for o in v.observations]
    attributor.add_cmp_hosts_from(observations)
    attributor.attribute_all(observations)
    ctx = Context(catalogue, config, {"creditplus.kz"}, attributor.cmp_hosts, policy)
    return evaluate(visits, ctx)


def rules_of(findings):
    return {(f.rule, f.state, f.vendor) for f in findings}


# --- attribution ---------------------------------------------------------------------------------
def test_host_attribution_is_exact_or_subdomain_never_lookalike(catalogue):
    attributor = Attributor(catalogue, site_urls=[SITE])
    assert attributor.vendors_for_host("mc.yandex.ru") == ["yandex_metrika"]
    assert attributor.vendors_for_host("k.clarity.ms") == ["microsoft_clarity"]
    assert attributor.vendors_for_host("evilvk.com") == []
    assert attributor.vendors_for_host("st6.vk.com") == ["vk"]


def test_shared_host_keeps_every_candidate_where_the_path_says_nothing(catalogue):
    obs = Attributor(catalogue, site_urls=[SITE]).attribute(
        request("https://www.googletagmanager.com/static/service_worker/x.js")
    )
    assert {"google_tag_manager", "google_analytics", "firebase_analytics"} <= set(obs.candidates)
    assert obs.declared


def test_shared_host_is_told_apart_by_path(catalogue):
    """gtag.js on GTM's host is Google Analytics, gtm.js the container: granting only GTM does
    not cover gtag.js, so it is V04 google_analytics."""
    attributor = Attributor(catalogue, site_urls=[SITE])
    gtag = attributor.attribute(request("https://www.googletagmanager.com/gtag/js?id=G-1"))
    assert gtag.vendor == "google_analytics" and "google_tag_manager" not in gtag.candidates
    gtm = attributor.attribute(request("https://www.googletagmanager.com/gtm.js?id=GTM-1"))
    assert gtm.candidates == ["google_tag_manager"]
    visit = Visit(page=SITE, state="vendor:google_tag_manager", observations=[
        request("https://www.googletagmanager.com/gtag/js?id=G-1",
                state="vendor:google_tag_manager", phase="post", after_choice=True),
        request("https://www.googletagmanager.com/gtm.js?id=GTM-1",
                state="vendor:google_tag_manager", phase="post", after_choice=True),
    ])  # fmt: skip
    found = rules_of(run_rules(catalogue, [visit]))
    assert ("V04", "vendor:google_tag_manager", "google_analytics") in found
    assert ("V04", "vendor:google_tag_manager", "google_tag_manager") not in found


def test_keys_under_a_vendors_documented_prefix_are_its_own(catalogue):
    attributor = Attributor(catalogue, site_urls=[SITE])
    ym = attributor.attribute(storage("_ym_new_feature", kind="session"))
    assert ym.vendor == "yandex_metrika" and not ym.declared
    clarity = attributor.attribute(cookie("_clsk_extra"))
    assert clarity.vendor == "microsoft_clarity"
    found = rules_of(run_rules(catalogue, [Visit(page=SITE, state="none", observations=[
        storage("_ym_new_feature", kind="session")])]))  # fmt: skip
    assert ("V01", "none", "yandex_metrika") in found and ("V06", "any", "yandex_metrika") in found


def test_undeclared_tracker_before_consent_is_a_consent_violation_of_unknown(catalogue):
    """No catalogue vendor: V02 / V01 with vendor "unknown" and the host as evidence, plus V06;
    the same after Reject all is V03, after a withdrawal V10."""
    pixel = "https://px.tracker.example/p.gif?t=1"
    none = Visit(page=SITE, state="none", observations=[
        request(pixel), cookie("trk", host="px.tracker.example")])  # fmt: skip
    reject = Visit(page=SITE, state="reject", observations=[
        request(pixel, state="reject", phase="post", after_choice=True)])  # fmt: skip
    withdraw = Visit(
        page=SITE,
        state="withdraw",
        observations=[
            request(pixel, state="withdraw", phase="withdrawing", after_choice=True, on_leave=True)
        ],
    )
    findings = run_rules(catalogue, [none, reject, withdraw])
    found = rules_of(findings)
    for expected in (("V02", "none", "unknown"), ("V01", "none", "unknown"),
                     ("V03", "reject", "unknown"), ("V10", "withdraw", "unknown"),
                     ("V06", "any", None)):  # fmt: skip
        assert expected in found, expected
    v02 = next(f for f in findings if f.rule == "V02")
    assert v02.evidence["host"] == "px.tracker.example"
    assert v02.evidence["url"] == "https://px.tracker.example/p.gif?t=…"


def test_pagehide_beacon_after_withdraw_is_v10(catalogue):
    """Sent by the withdrawn page while the CMP reloads it: after withdraw(), so V10."""
    beacon = request("https://mc.yandex.ru/watch/1?ti=0", state="withdraw", phase="withdrawing",
                     after_choice=True, on_leave=True)  # fmt: skip
    before = request("https://mc.yandex.ru/watch/1", state="withdraw", phase="granted",
                     after_choice=True)  # fmt: skip
    visit = Visit(page=SITE, state="withdraw", observations=[before, beacon])
    found = run_rules(catalogue, [visit])
    v10 = [f for f in found if f.rule == "V10"]
    assert [(f.vendor, f.evidence["phase"], f.evidence["on_leave"]) for f in v10] == [
        ("yandex_metrika", "withdrawing", True)
    ]


def test_findings_do_not_depend_on_the_order_visits_finished(catalogue):
    def visit(page, query):
        return Visit(page=page, state="none", observations=[
            Observation(kind="request", state="none", page=page, phase="pre",
                        key="request:vk.com", host="vk.com", url="https://vk.com/rtrg" + query,
                        source="cdp")])  # fmt: skip

    a = [visit(SITE + "a", "?r=1"), visit(SITE + "b", "?r=2&p=1")]
    one = [f.to_dict() for f in run_rules(catalogue, a)]
    two = [f.to_dict() for f in run_rules(catalogue, list(reversed(a)))]
    assert one == two
    assert one[0]["pages"] == [SITE + "a", SITE + "b"]


def test_a_request_the_page_saw_is_the_evidence_whether_or_not_its_worker_copy_arrived(catalogue):
    """A service worker's copy of a request reaches the scanner later than the page's own, and a
    visit on a busy machine may end before it does: two scans must still show the same evidence."""
    page = SITE + "a"

    def vk(source: str, **kw) -> Observation:
        return Observation(kind="request", state="none", page=page, phase="post",
                           key="request:vk.com", host="vk.com", url="https://vk.com/rtrg?p=1",
                           source=source, **kw)  # fmt: skip

    own = vk("cdp", resource_type="image")
    worker = vk("service-worker", resource_type="fetch", worker="service_worker",
                frame_url=SITE + "sw.js", initiator=SITE + "sw.js")  # fmt: skip
    reports = [
        [f.to_dict() for f in run_rules(catalogue, [Visit(page=page, state="none",
                                                          observations=observations)])]
        for observations in ([own, worker], [worker, own], [own])
    ]  # fmt: skip
    assert reports[0] == reports[1] == reports[2]
    evidence = [f["evidence"] for f in reports[0] if f["artefact"] == "request:vk.com"]
    assert evidence and all(e["source"] == "cdp" for e in evidence)


def test_cookie_by_pattern_and_third_party_domain(catalogue):
    attributor = Attributor(catalogue, site_urls=[SITE])
    ga = attributor.attribute(cookie("_ga_ABC123"))
    assert "google_analytics" in ga.candidates and ga.declared
    ym = attributor.attribute(cookie("yandexuid", host=".yandex.ru"))
    assert ym.vendor == "yandex_metrika" and ym.declared
    unknown_3p = attributor.attribute(cookie("weird", host="mc.yandex.ru"))
    assert unknown_3p.vendor == "yandex_metrika" and not unknown_3p.declared


def test_cmp_cookie_and_allow_list_are_necessary(catalogue):
    necessary = Necessary(cookies=(AllowEntry("session*", "login session"),))
    attributor = Attributor(catalogue, necessary, [SITE])
    assert attributor.attribute(cookie("kelisim_consent")).necessary
    assert attributor.attribute(cookie("session_id")).necessary
    mystery = attributor.attribute(cookie("_mystery"))
    assert not mystery.declared and mystery.vendor is None


def test_self_hosted_matomo_is_known_by_its_path(catalogue):
    obs = Attributor(catalogue, site_urls=[SITE]).attribute(
        request("https://creditplus.kz/matomo.php?idsite=1")
    )
    assert obs.vendor == "matomo" and not obs.necessary


def test_cookie_line_lifetime_as_set():
    assert parse_cookie_line("a=1; Max-Age=3600").lifetime_seconds == 3600
    assert parse_cookie_line("a=1; path=/").lifetime_seconds is None
    now = dt.datetime(2026, 1, 1, tzinfo=dt.UTC).timestamp()
    line = parse_cookie_line("a=1; Expires=Fri, 02 Jan 2026 00:00:00 GMT", now)
    assert line.lifetime_seconds == 86400
    assert parse_cookie_line("a=1; Domain=.Example.com; Partitioned").partitioned


# --- rules ---------------------------------------------------------------------------------------
def test_clean_states_give_no_findings(catalogue):
    visits = [
        Visit(SITE, "none", observations=[request(SITE), cookie("kelisim_consent")]),
        Visit(SITE, "accept", observations=[
            request("https://mc.yandex.ru/watch/1", state="accept", phase="post", after_choice=True)
        ]),
        Visit(SITE, "reject", observations=[
            cookie("kelisim_consent", state="reject", after_choice=True)
        ]),
    ]  # fmt: skip
    findings = [f for f in run_rules(catalogue, visits) if f.rule != "V09"]
    assert findings == []


def test_before_consent_storage_and_requests(catalogue):
    visits = [
        Visit(SITE, "none", observations=[
            cookie("_ym_uid"), storage("_ym_uid"), request("https://vk.com/rtrg?p=1"),
            request("https://privacy-cs.mail.ru/fp/x.js"),
        ])
    ]  # fmt: skip
    found = rules_of(run_rules(catalogue, visits))
    assert ("V01", "none", "yandex_metrika") in found
    assert ("V02", "none", "vk") in found
    assert ("V12", "none", "mail_ru") in found


def test_after_reject_only_new_artefacts_count(catalogue):
    visits = [
        Visit(SITE, "reject", observations=[
            cookie("_ga", state="reject", after_choice=False),
            cookie("_clck", state="reject", after_choice=True),
            request("https://k.clarity.ms/collect", state="reject", phase="post"),
        ])
    ]  # fmt: skip
    found = run_rules(catalogue, visits)
    v03 = {(f.vendor, f.artefact) for f in found if f.rule == "V03"}
    assert v03 == {
        ("microsoft_clarity", "cookie:_clck@creditplus.kz"),
        ("microsoft_clarity", "request:k.clarity.ms"),
    }


def test_single_vendor_state_allows_only_its_vendor_and_shared_hosts(catalogue):
    state = "vendor:google_analytics"
    visits = [
        Visit(SITE, state, observations=[
            request("https://www.googletagmanager.com/gtag/js?id=G-1", state=state, phase="post"),
            request("https://wa.appsflyer.com/events", state=state, phase="post"),
        ])
    ]  # fmt: skip
    assert rules_of(run_rules(catalogue, visits)) >= {("V04", state, "appsflyer")}
    assert not any(
        f.vendor == "google_analytics" and f.rule != "V09" for f in run_rules(catalogue, visits)
    )


def test_consent_signal_misreport(catalogue):
    visit = Visit(
        SITE, "reject",
        consent_signal={
            "kelisim": {"vendors": {"vk": True}},
            "consent_mode": [["default", {"analytics_storage": "denied"}],
                             ["update", {"analytics_storage": "granted"}]],
        },
    )  # fmt: skip
    findings = run_rules(catalogue, [visit])
    assert {f.artefact for f in findings if f.rule == "V05"} == {
        "signal:kelisim.get",
        "signal:consent_mode",
    }


def test_lifetime_rule_needs_half_again_and_a_day(catalogue):
    year = 365 * 86400
    visits = [
        Visit(SITE, "accept", observations=[
            cookie("_ym_uid", state="accept", source="js", lifetime_seconds=10 * year),
            cookie("_ym_d", state="accept", source="js", lifetime_seconds=1.4 * year),
            cookie("_clsk", state="accept", source="js", lifetime_seconds=30 * 86400),
            cookie("_ym_isad", state="accept", source="js", lifetime_seconds=1.9 * 86400),
        ])
    ]  # fmt: skip
    v08 = {f.artefact for f in run_rules(catalogue, visits) if f.rule == "V08"}
    assert v08 == {"cookie:_ym_uid@creditplus.kz", "cookie:_clsk@creditplus.kz"}


def test_withdraw_and_fresh_context(catalogue):
    visits = [
        Visit(SITE, "none", observations=[request("https://vk.com/rtrg")]),
        Visit(SITE, "withdraw", observations=[
            cookie("_ym_uid", state="withdraw", phase="final"),
            cookie("yandexuid", host="yandex.ru", state="withdraw", phase="final"),
            request("https://mc.yandex.ru/watch/1", state="withdraw", phase="granted"),
        ]),
        Visit(SITE, "fresh", observations=[
            request("https://vk.com/rtrg", state="fresh"), cookie("_clck", state="fresh"),
        ]),
    ]  # fmt: skip
    findings = run_rules(catalogue, visits)
    v10 = {f.artefact for f in findings if f.rule == "V10"}
    assert v10 == {
        "cookie:_ym_uid@creditplus.kz"
    }  # third-party cookies cannot be deleted by a site
    v11 = {f.artefact for f in findings if f.rule == "V11"}
    assert v11 == {"cookie:_clck@creditplus.kz"}  # vk fired on the first visit too: that is V02


def _button(area, weight=400, size=16.0):
    side = area**0.5
    return {"text": "x", "width": side, "height": side, "area": area, "font_size": size,
            "font_weight": weight, "in_viewport": True}  # fmt: skip


def test_banner_design(catalogue):
    missing = Visit(SITE, "none", banner=BannerMetrics(SITE, True, {"accept": _button(9000)}))
    unequal = Visit(
        "https://creditplus.kz/b", "none",
        banner=BannerMetrics("b", True, {"accept": _button(9000, 700), "reject": _button(3000)},
                             prechecked=["vk"]),
    )  # fmt: skip
    equal = Visit(
        "https://creditplus.kz/c", "none",
        banner=BannerMetrics("c", True, {"accept": _button(9000), "reject": _button(8800)}),
    )  # fmt: skip
    artefacts = {
        f.artefact for f in run_rules(catalogue, [missing, unequal, equal]) if f.rule == "V13"
    }
    assert artefacts == {"banner:no-reject", "banner:prominence", "banner:prechecked"}


def test_policy_drift_names_missing_vendors(catalogue):
    text = " ".join(v.name for v in catalogue.vendors if v.id != "flocktory") + " Яндекс.Метрика"
    visits = [Visit(SITE, "none", observations=[request("https://tracker.example.net/p.gif")])]
    findings = run_rules(catalogue, visits, policy={"url": SITE + "privacy", "text": text})
    v14 = {f.artefact for f in findings if f.rule == "V14"}
    assert v14 == {"policy:flocktory", "policy:example.net"}


def test_finding_ids_are_stable_and_ignore_times(catalogue):
    a = run_rules(
        catalogue, [Visit(SITE, "none", observations=[cookie("_ym_uid", lifetime_seconds=5)])]
    )
    b = run_rules(
        catalogue, [Visit(SITE, "none", observations=[cookie("_ym_uid", lifetime_seconds=9)])]
    )
    assert [f.id for f in a] == [f.id for f in b]


# --- waivers, baseline, exit codes ---------------------------------------------------------------
def _one_finding(catalogue):
    visits = [Visit(SITE, "none", observations=[request("https://vk.com/rtrg")])]
    return [f for f in run_rules(catalogue, visits) if f.rule == "V02"]


def test_waiver_needs_a_reason():
    with pytest.raises(ConfigError, match="reason"):
        parse_waivers([{"id": "abc"}], "waivers.yaml")
    assert parse_waivers({"waivers": [{"id": "a", "reason": "r", "expires": "2030-01-01"}]}, "w")


def test_waived_and_expired_waivers(catalogue):
    findings = _one_finding(catalogue)
    assert exit_code(findings, "error", unreachable=False) == 1
    expired = Waiver(findings[0].id, "old", dt.date(2020, 1, 1))
    apply_waivers(findings, [expired], dt.date.today())
    assert exit_code(findings, "error", unreachable=False) == 1
    unused = apply_waivers(
        findings,
        [Waiver(findings[0].id, "pixel is contractual"), Waiver("x", "y")],
        dt.date.today(),
    )
    assert unused == ["x"]
    assert findings[0].waived == "pixel is contractual"
    assert exit_code(findings, "error", unreachable=False) == 0


def test_baseline_fails_only_on_new_findings(catalogue):
    findings = _one_finding(catalogue)
    apply_baseline(findings, {findings[0].id})
    assert exit_code(findings, "error", unreachable=False) == 0
    apply_baseline(findings, set())
    assert exit_code(findings, "error", unreachable=False) == 1


def test_warnings_fail_only_when_asked(catalogue):
    visits = [Visit(SITE, "accept", observations=[])]
    findings = run_rules(catalogue, visits)
    assert findings and all(f.rule == "V09" for f in findings)
    assert exit_code(findings, "error", unreachable=False) == 0
    assert exit_code(findings, "warning", unreachable=False) == 1
    assert exit_code([], "error", unreachable=True) == 3
