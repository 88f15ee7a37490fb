"""Two scans of an unchanged site give the same findings, ids and evidence included: a scan that
disagrees with itself cannot gate a release or show a regulator what changed."""

from __future__ import annotations

import json

import pytest

from tests.support.scanner_site import LoopbackSite
from tests.test_scanner_browser import scan as scan_loopback
from tests.test_scanner_demo import scan as scan_demo

pytestmark = pytest.mark.browser
STATES = "none,reject,accept,withdraw,vendor:google_analytics"


def findings(out):
    """What a reviewer compares between runs: every field of every finding but the run's times."""
    report = json.loads((out / "report.json").read_text())
    return [json.dumps(f, sort_keys=True, ensure_ascii=False) for f in report["findings"]]


@pytest.fixture(scope="module")
def site():
    server = LoopbackSite()
    yield server
    server.stop()


def test_two_scans_of_the_late_tag_site_give_identical_findings(site, tmp_path):
    runs = []
    for i in range(2):
        out = tmp_path / f"run{i}"
        scan_loopback(site, "/late-bad/", out, "--states", STATES, "--pages", "1")
        runs.append(findings(out))
    assert runs[0] and runs[0] == runs[1], _debug_diff(runs[0], runs[1])


@pytest.mark.slow
@pytest.mark.parametrize("which", ["site_url", "unsafe_url"])
def test_five_scans_of_the_demo_give_identical_findings(demo, which, tmp_path):
    runs = []
    for i in range(5):
        out = tmp_path / f"run{i}"
        scan_demo(demo, getattr(demo, which) + "/ru/", out, "--pages", "1", "--depth", "0",
                  "--states", "none,reject,accept,withdraw", "--no-screenshots")  # fmt: skip
        runs.append(findings(out))
    differing = [i for i, run in enumerate(runs[1:], 1) if run != runs[0]]
    assert runs[0] and differing == [], _debug_diff(runs[0], runs[differing[0]])


def _debug_diff(a, b):
    import difflib

    return "\n".join(difflib.unified_diff(a, b, lineterm="", n=0))
