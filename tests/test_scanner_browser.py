"""The scanner end to end in real Chromium against a small loopback site
(tests/support/scanner_site.py): a clean page exits 0, the page with planted violations exits 1 with
each one found, and an unreachable site exits 3."""

from __future__ import annotations

import json
import re
import socket

import pytest

from kelisim.scanner.cli import main
from kelisim.settings import DEFAULT_CATALOGUE
from tests.support.scanner_site import BAD_PAGE_VIOLATIONS, LoopbackSite

pytestmark = pytest.mark.browser
CATALOGUE = str(DEFAULT_CATALOGUE)


@pytest.fixture(scope="module")
def site():
    server = LoopbackSite()
    yield server
    server.stop()


def scan(site, path, out, *extra):
    argv = [
        site.url + path,
        "--out",
        str(out),
        "--catalogue",
        CATALOGUE,
        "--quiet",
        *site.resolve_args,
    ]
    return main([*argv, *extra])


def test_clean_site_exits_0_and_crawls_links_and_sitemap(site, tmp_path):
    states = "none,reject,accept,withdraw,vendor:yandex_metrika"
    code = scan(site, "/", tmp_path, "--states", states, "--pages", "2", "--depth", "1")
    report = json.loads((tmp_path / "report.json").read_text())
    failing = [f for f in report["findings"] if f["severity"] == "error"]
    assert failing == [] and code == 0
    assert report["target"]["pages"] == [site.url + "/", site.url + "/about/"]
    assert {v["state"] for v in report["visits"]} >= {"none", "reject", "accept", "withdraw"}
    assert all(v["ok"] for v in report["visits"])
    assert "catalogue_revision" not in report["environment"]  # the revision the site serves
    accepted = [o for o in report["observations"] if o["state"] == "accept"]
    ym = {
        (o["kind"], o.get("name") or o.get("host"))
        for o in accepted
        if o.get("vendor") == "yandex_metrika"
    }
    assert {("cookie", "_ym_uid"), ("storage", "_ym_uid"), ("request", "mc.yandex.ru")} <= ym
    beacon = next(o for o in accepted if "/watch/" in (o.get("url") or ""))
    assert beacon["initiator"].startswith("http://mc.yandex.ru/metrika/tag.js")
    for name in ("report.html", "junit.xml", "cookie-declaration.csv", "cookie-declaration.html"):
        assert (tmp_path / name).stat().st_size > 0


def test_planted_violations_are_found_with_rule_state_and_vendor(site, tmp_path):
    code = scan(site, "/bad/", tmp_path, "--states", "none,reject,accept,vendor:vk", "--pages", "1",
                "--policy-url", site.url + "/policy/")  # fmt: skip
    report = json.loads((tmp_path / "report.json").read_text())
    found = {(f["rule"], f["state"], f["vendor"]) for f in report["findings"]}
    for violation in BAD_PAGE_VIOLATIONS:
        assert violation in found, violation
    assert ("V14", "any", "vk") in found  # the policy names only Yandex.Metrica
    assert code == 1
    v08 = next(f for f in report["findings"] if f["rule"] == "V08")
    assert v08["evidence"]["source"] == "js" and v08["evidence"]["observed_seconds"] > 3e8


def test_unreachable_site_exits_3(tmp_path):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    argv = [f"http://127.0.0.1:{port}/", "--out", str(tmp_path), "--catalogue", CATALOGUE,
            "--quiet", "--retries", "0", "--states", "none"]  # fmt: skip
    assert main(argv) == 3
    report = json.loads((tmp_path / "report.json").read_text())
    assert f"http://127.0.0.1:{port}/" in report["target"]["unreachable"]


def test_an_uploaded_scan_shows_in_the_admin_with_its_findings(site, tmp_path, settings):
    """`--upload` to the real CMP: the run, its findings and its cookie declaration reach the
    marketers' admin pages exactly as the scanner wrote them."""
    import threading

    from werkzeug.serving import make_server

    from kelisim.web.app import create_app
    from tests.support.admin import add_user, login

    token = "scan-upload-token-for-this-test-0123"
    app = create_app(settings.with_changes(scan_upload_tokens=(token,)))
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        cmp_url = f"http://127.0.0.1:{server.server_port}"
        code = scan(site, "/bad/", tmp_path, "--states", "none,accept", "--pages", "1",
                    "--upload", cmp_url, "--upload-token", token)  # fmt: skip
        assert code == 1
        report = json.loads((tmp_path / "report.json").read_text())
        assert report["findings"], "the bad page must give findings to upload"
        add_user(app, "marketer", "viewer")
        staff = app.test_client()
        login(staff, "marketer")
        listing = staff.get("/admin/scans").get_data(as_text=True)
        assert site.url in listing
        run_path = re.search(r'href="/admin/scans/(\d+)"', listing)[1]
        page = staff.get(f"/admin/scans/{run_path}").get_data(as_text=True)
        for finding in report["findings"]:
            assert finding["rule"] in page
        declared = {row["name"] for row in report["declaration"]}
        assert declared and all(name in page for name in declared)
    finally:
        server.shutdown()
        app.extensions["kelisim"].close()


def test_a_scan_against_another_revision_than_the_site_serves_says_so(site, tmp_path, capsys):
    text = DEFAULT_CATALOGUE.read_text(encoding="utf-8")
    newer = tmp_path / "vendors.yaml"
    newer.write_text(text.replace("\nrevision: 1 ", "\nrevision: 7 ", 1), encoding="utf-8")
    out = tmp_path / "out"
    argv = [site.url + "/", "--out", str(out), "--catalogue", str(newer), "--quiet"]
    main([*argv, "--states", "none", "--pages", "1", *site.resolve_args])
    report = json.loads((out / "report.json").read_text())
    assert report["environment"]["catalogue_revision"] == {"scanned_with": 7, "live": [1]}
    assert "serves catalogue revision 1, this scan judged it against revision 7" in (
        capsys.readouterr().err
    )
    assert "judged against 7, the site serves 1" in (out / "report.html").read_text()
