"""`kelisim scan` on sites whose consent manager is not Kelisim, in real Chromium: DuckDuckGo's
autoconsent (the npm package) recognises vanilla-cookieconsent 3 and Klaro (their real dist files,
self-hosted on a loopback site, tests/scanner/cmp_site.py), refuses and accepts through each, and
the findings follow what that consent manager really let through (Klaro's refusal and its
self-test go through Klaro's JavaScript API, answered by the scanner's main-world evaluation).
Without autoconsent the same states are reported as not set; a banner autoconsent does not know
falls back to the scan.yaml selectors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from kelisim.scanner import autoconsent
from kelisim.scanner.cli import main
from kelisim.scanner.config import ConfigError
from kelisim.settings import DEFAULT_CATALOGUE
from tests.support.cmp_site import (
    CHOICE_COOKIE,
    CMP_BAD_VIOLATIONS,
    CMP_NAME,
    CUSTOM_SELECTORS,
    KLARO_COOKIE,
    KLARO_NAME,
    CmpSite,
)
from tests.support.npm_tools import package_dir

STATES = "none,reject,accept"
# (clean page, page with the ungated pixel, autoconsent's name for the consent manager)
CMPS = [
    pytest.param("/", "/bad/", CMP_NAME, id="vanilla-cookieconsent"),
    pytest.param("/klaro/", "/klaro-bad/", KLARO_NAME, id="klaro"),
]


@pytest.fixture(scope="module")
def autoconsent_dir() -> Path:
    return package_dir("autoconsent", "@duckduckgo/autoconsent")


@pytest.fixture(scope="module")
def site():
    dist = package_dir("cookieconsent", "vanilla-cookieconsent") / "dist"
    server = CmpSite(dist, package_dir("klaro", "klaro") / "dist")
    yield server
    server.stop()


def _scan(
    site, path: str, out: Path, *extra: str, consent: dict | None = None, states: str = STATES
) -> tuple[int, dict]:
    config = {"necessary": {"cookies": [
        {"name": CHOICE_COOKIE, "reason": "vanilla-cookieconsent stores the visitor's choice"},
        {"name": KLARO_COOKIE, "reason": "Klaro stores the visitor's choice"},
        {"name": "lp_choice", "reason": "the homemade banner stores the visitor's choice"},
    ]}}  # fmt: skip
    if consent:
        config["consent"] = consent
    (out / "scan.yaml").write_text(yaml.safe_dump(config), encoding="utf-8")
    code = main([
        site.url + path, "--out", str(out), "--catalogue", str(DEFAULT_CATALOGUE), "--quiet",
        "--config", str(out / "scan.yaml"), "--states", states, "--pages", "1", "--no-sitemap",
        *site.resolve_args, *extra,
    ])  # fmt: skip
    return code, json.loads((out / "report.json").read_text(encoding="utf-8"))


def _fired(report: dict, state: str, vendor: str) -> set[tuple[str, str]]:
    return {
        (o["kind"], o.get("name") or o.get("host"))
        for o in report["observations"]
        if o["state"] == state and o.get("vendor") == vendor
    }


def _visit(report: dict, state: str) -> dict:
    return next(v for v in report["visits"] if v["state"] == state)


def _errors(report: dict) -> set[tuple[str, str, str | None]]:
    return {(f["rule"], f["state"], f["vendor"]) for f in report["findings"]
            if f["severity"] == "error"}  # fmt: skip


@pytest.mark.browser
@pytest.mark.slow
@pytest.mark.parametrize(("clean", "bad", "cmp"), CMPS)
def test_autoconsent_drives_the_banner_and_the_gated_tracker_follows_the_choice(
    site, autoconsent_dir, tmp_path, clean, bad, cmp
) -> None:
    code, report = _scan(site, clean, tmp_path, "--autoconsent", str(autoconsent_dir),
                         states=STATES + ",withdraw")  # fmt: skip
    reject, accept = _visit(report, "reject"), _visit(report, "accept")
    assert reject["ok"] and accept["ok"], (reject, accept)
    assert reject["consent"]["method"] == accept["consent"]["method"] == "autoconsent"
    assert reject["consent"]["cmp"] == accept["consent"]["cmp"] == cmp
    assert reject["consent"]["self_test"] is True  # autoconsent's own check of the refusal
    assert "self_test" not in accept["consent"]  # autoconsent has none for an opt-in
    assert _fired(report, "reject", "yandex_metrika") == set()
    assert _fired(report, "none", "yandex_metrika") == set()
    assert {("cookie", "_ym_uid"), ("request", "mc.yandex.ru")} <= _fired(
        report, "accept", "yandex_metrika"
    )
    assert _errors(report) == set() and code == 0
    assert report["consent"]["cmps"] == [cmp]
    assert report["consent"]["methods"] == {"autoconsent": ["accept", "reject"]}
    # Withdrawing needs the site's own control: accepted through autoconsent, then not set.
    assert [(r["state"], r["reason"]) for r in report["consent"]["not_driven"]] == [
        ("withdraw", "no selector configured for withdraw")
    ]
    assert report["consent"]["self_test"] == {"passed": 1, "failed": 0, "not_run": 1}
    assert report["environment"]["autoconsent"]["version"] == "16.23.0"
    html = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert "DuckDuckGo autoconsent: accept, reject" in html and cmp in html
    assert "1 passed, 0 failed" in html


@pytest.mark.browser
@pytest.mark.slow
@pytest.mark.parametrize(("clean", "bad", "cmp"), CMPS)
def test_a_tracker_that_ignores_the_refusal_is_reported_after_reject(
    site, autoconsent_dir, tmp_path, clean, bad, cmp
) -> None:
    code, report = _scan(site, bad, tmp_path, "--autoconsent", str(autoconsent_dir))
    assert _visit(report, "reject")["consent"]["method"] == "autoconsent"
    assert _visit(report, "reject")["consent"]["cmp"] == cmp
    assert code == 1
    for violation in CMP_BAD_VIOLATIONS:
        assert violation in _errors(report), violation
    v03 = next(f for f in report["findings"] if f["rule"] == "V03")
    assert v03["evidence"]["host"] == "vk.com" and v03["evidence"]["phase"] in ("post", "final")
    # The gated tag still obeyed the consent manager: only the pixel is blamed.
    assert not [f for f in report["findings"] if f["vendor"] == "yandex_metrika"
                and f["rule"] in ("V01", "V02", "V03")]  # fmt: skip


@pytest.mark.browser
@pytest.mark.slow
def test_without_autoconsent_the_states_are_reported_as_not_set(site, tmp_path) -> None:
    """The negative control: the same page, autoconsent off and no selectors."""
    code, report = _scan(site, "/bad/", tmp_path, "--no-autoconsent")
    for state in ("reject", "accept"):
        visit = _visit(report, state)
        assert not visit["ok"] and "state not applicable" in visit["error"]
        assert "method" not in visit["consent"]
    assert report["consent"]["methods"] == {} and report["consent"]["cmps"] == []
    assert [(row["state"], row["reason"]) for row in report["consent"]["not_driven"]] == [
        ("accept", "autoconsent switched off (--no-autoconsent)"),
        ("reject", "autoconsent switched off (--no-autoconsent)"),
    ]
    assert ("V02", "none", "vk") in _errors(report)
    assert ("V03", "reject", "vk") not in _errors(report)  # never refused, so never judged
    assert report["environment"]["autoconsent"]["off"].startswith("switched off")
    assert "States not set" in (tmp_path / "report.html").read_text(encoding="utf-8")
    assert code == 1


@pytest.mark.browser
@pytest.mark.slow
def test_a_banner_autoconsent_does_not_know_falls_back_to_the_selectors(
    site, autoconsent_dir, tmp_path
) -> None:
    code, report = _scan(
        site, "/custom/", tmp_path, "--autoconsent", str(autoconsent_dir),
        consent=CUSTOM_SELECTORS,
    )  # fmt: skip
    for state in ("reject", "accept"):
        driven = _visit(report, state)["consent"]
        assert driven["method"] == "selectors", driven
        assert driven["note"] == "autoconsent found no consent manager it has a rule for"
    assert _fired(report, "reject", "yandex_metrika") == set()
    assert ("request", "mc.yandex.ru") in _fired(report, "accept", "yandex_metrika")
    assert report["consent"]["methods"] == {"selectors": ["accept", "reject"]}
    assert _errors(report) == set() and code == 0


def test_a_named_autoconsent_folder_without_the_package_is_a_usage_error(tmp_path, capsys) -> None:
    code = main(["http://127.0.0.1:9/", "--out", str(tmp_path / "out"), "--autoconsent",
                 str(tmp_path)])  # fmt: skip
    assert code == 2
    err = capsys.readouterr().err
    assert f"--autoconsent {tmp_path}: no @duckduckgo/autoconsent there" in err
    assert "scripts/npm-tools autoconsent" in err and "Traceback" not in err


def test_the_environment_may_name_the_npm_prefix_instead_of_the_package(
    autoconsent_dir, monkeypatch
) -> None:
    prefix = autoconsent_dir.parents[2]  # node_modules/.tools/autoconsent
    monkeypatch.setenv(autoconsent.AUTOCONSENT_ENV, str(prefix))
    root, missing = autoconsent.locate(None)
    assert root == autoconsent_dir and missing is None
    monkeypatch.setenv(autoconsent.AUTOCONSENT_ENV, str(prefix / "nowhere"))
    with pytest.raises(ConfigError, match=r"\$KELISIM_AUTOCONSENT .*nowhere"):
        autoconsent.locate(None)


def test_each_frame_gets_only_the_rules_that_can_run_there(autoconsent_dir) -> None:
    bundle = autoconsent.load(autoconsent_dir)
    main_rules = {r["name"] for r in bundle.rules_for("https://shop.example/", main_frame=True)}
    assert "cookieconsent3" in main_rules  # generic: runs on any site
    assert not any(r.get("cosmetic") for r in bundle.rules_for("https://a.example/", True))
    site_specific = next(
        r for r in bundle.rules if (r.get("runContext") or {}).get("urlPattern")
        and (r.get("runContext") or {}).get("main", True) and not r.get("cosmetic")
    )  # fmt: skip
    assert site_specific["name"] not in main_rules
    assert len(main_rules) < len(bundle.rules) / 2
    frame_rules = bundle.rules_for("https://cmp.example/frame", main_frame=False)
    assert all((r.get("runContext") or {}).get("frame") for r in frame_rules)
