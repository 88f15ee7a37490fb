"""Template clustering (`kelisim scan --cluster`) in real Chromium against the loopback shop of
tests/support/template_site.py: pages of one template run the full consent matrix once and the
others only none / reject / accept; a page with the same HTML but one more tracker is not
clustered and its violation is found; the findings are those of an unclustered scan; the report
says what was skipped, and a sharded clustered scan merges to the same findings."""

from __future__ import annotations

import json
import urllib.request
from pathlib import Path

import pytest

from kelisim.scanner.cli import main
from kelisim.scanner.run import shard_of
from tests.support.template_site import EXTRA_PAGE, TEMPLATE_PAGES, TemplateSite
from tests.test_scanner_browser import CATALOGUE

pytestmark = [pytest.mark.browser, pytest.mark.slow]
STATES = ["none", "reject", "accept", "withdraw", "vendor:google_analytics"]
SKIPPED = ["withdraw", "vendor:google_analytics"]
PAGES = (*TEMPLATE_PAGES, EXTRA_PAGE)


@pytest.fixture(scope="module")
def site():
    server = TemplateSite()
    yield server
    server.stop()


def _scan(site, out: Path, *extra: str) -> dict:
    main([*(site.url + p for p in PAGES), "--out", str(out), "--catalogue", CATALOGUE, "--quiet",
          "--states", ",".join(STATES), "--pages", str(len(PAGES)), "--depth", "0",
          "--no-sitemap", "--no-screenshots", *site.resolve_args, *extra])  # fmt: skip
    return json.loads((out / "report.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def scans(site, tmp_path_factory):
    root = tmp_path_factory.mktemp("cluster")
    return _scan(site, root / "clustered", "--cluster"), _scan(site, root / "whole"), root


def _visited(report: dict) -> dict[str, set[str]]:
    seen: dict[str, set[str]] = {}
    for visit in report["visits"]:
        assert visit["ok"], visit
        seen.setdefault(visit["page"], set()).add(visit["state"])
    return seen


def _violations(report: dict) -> set[tuple]:
    return {(f["rule"], f["state"], f["vendor"]) for f in report["findings"]}


def _stands_for(report: dict) -> dict[str, set[str]]:
    """Each finding's pages, with the clustered pages it stands for."""
    return {f["id"]: {*f["pages"], *f.get("clustered_pages", [])} for f in report["findings"]}


def test_pages_of_one_template_run_the_full_matrix_once(site, scans) -> None:
    clustered, _, _ = scans
    first, *others = (site.url + p for p in TEMPLATE_PAGES)
    extra = site.url + EXTRA_PAGE
    block = clustered["clustering"]
    assert block["on"] and len(block["clusters"]) == 1
    cluster = block["clusters"][0]
    assert cluster["representative"] == first and cluster["pages"] == others
    assert cluster["skipped_states"] == SKIPPED
    assert any("pixel.trackly.io/p.gif" in item for item in cluster["signature"])
    assert (
        "accept: request mc.yandex.ru/metrika/tag.js after choice [yandex_metrika]"
        in cluster["signature"]
    )
    visited = _visited(clustered)
    assert visited[first] == visited[extra] == set(STATES)
    for page in others:
        assert visited[page] == {"none", "reject", "accept"}
    assert clustered["summary"]["visits"] == 2 * 5 + 2 * 3
    assert clustered["summary"]["visits_skipped"] == 2 * 2 == block["visits_skipped"]
    html = (scans[2] / "clustered" / "report.html").read_text(encoding="utf-8")
    assert "Template clusters" in html and f"skipped: same template as {first}" in html
    assert cluster["fingerprint"] in html


def test_the_same_html_with_one_more_tracker_is_not_clustered_and_its_violation_found(
    site, scans
) -> None:
    clustered, _, _ = scans
    pages = [site.url + p for p in (*TEMPLATE_PAGES, EXTRA_PAGE)]
    bodies = {urllib.request.urlopen(page, timeout=10).read() for page in pages}
    assert len(bodies) == 1  # byte-identical HTML: only what a visit observes tells them apart
    prints = clustered["clustering"]["fingerprints"]
    assert len({prints[p] for p in pages[:3]}) == 1 and prints[pages[3]] != prints[pages[0]]
    v04 = next(
        f for f in clustered["findings"]
        if (f["rule"], f["state"], f["vendor"]) == ("V04", "vendor:google_analytics", "vk")
    )  # fmt: skip
    assert v04["pages"] == [site.url + EXTRA_PAGE] and "clustered_pages" not in v04


def test_clustered_findings_are_those_of_an_unclustered_scan(site, scans) -> None:
    clustered, whole, _ = scans
    for planted in (("V02", "none", "unknown"), ("V03", "reject", "unknown"),
                    ("V10", "withdraw", "mail_ru"), ("V04", "vendor:google_analytics", "vk"),
                    ("V04", "vendor:google_analytics", "unknown")):  # fmt: skip
        assert planted in _violations(whole), planted
    assert _violations(clustered) == _violations(whole)
    # A finding of a skipped state names the clustered pages it stands for: with them, its pages
    # are the unclustered scan's.
    assert _stands_for(clustered) == _stands_for(whole)
    v10 = next(f for f in clustered["findings"] if f["rule"] == "V10" and f["vendor"] == "mail_ru")
    assert v10["clustered_pages"] == [site.url + p for p in TEMPLATE_PAGES[1:]]
    # Negative control: without --cluster every page runs every state and nothing is skipped.
    assert _visited(whole) == {site.url + p: set(STATES) for p in PAGES}
    assert not whole["clustering"]["on"] and whole["clustering"]["clusters"] == []
    assert whole["summary"]["visits_skipped"] == 0 and whole["summary"]["visits"] == 4 * 5


def test_clustered_shards_merge_to_the_findings_of_one_scan(site, scans) -> None:
    _, whole, root = scans
    shards = {p: shard_of(site.url + p, 2) for p in PAGES}
    assert shards == {"/shop/1/": 1, "/shop/2/": 2, "/shop/3/": 1, "/shop/extra/": 1}
    reports = [_scan(site, root / f"shard-{i}", "--cluster", "--shard", f"{i}/2") for i in (1, 2)]
    # Shard 1 clusters /shop/3/ with /shop/1/; shard 2's only template page runs every state.
    assert [len(r["clustering"]["clusters"]) for r in reports] == [1, 0]
    out = root / "merged"
    code = main(["merge", *(str(root / f"shard-{i}" / "report.json") for i in (1, 2)),
                 "--out", str(out), "--catalogue", CATALOGUE, "--quiet"])  # fmt: skip
    merged = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert code == whole["summary"]["exit_code"] == 1
    assert _violations(merged) == _violations(whole)
    assert _stands_for(merged) == _stands_for(whole)
    # Skipped states stay skipped: not visits, not clean ones.
    assert merged["summary"]["visits"] == sum(r["summary"]["visits"] for r in reports) == 18
    assert merged["summary"]["visits_skipped"] == 2
    assert merged["clustering"]["clusters"][0]["pages"] == [site.url + "/shop/3/"]
    visited = _visited(merged)
    assert visited[site.url + "/shop/3/"] == {"none", "reject", "accept"}
    assert visited[site.url + "/shop/2/"] == set(STATES)
