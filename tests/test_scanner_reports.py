"""Scanner outputs and the command line without a browser: report.json, junit.xml, report.html,
the cookie declaration, upload, Chromium flags and exit code 2 for bad usage."""

from __future__ import annotations

import base64
import csv
import http.server
import io
import json
import threading
import xml.etree.ElementTree as ET
from typing import ClassVar

import pytest

from kelisim.domain.catalogue import load
from kelisim.scanner.analyse import analyse, write_reports
from kelisim.scanner.browser import launch_args
from kelisim.scanner.cli import main
from kelisim.scanner.config import ScanConfig
from kelisim.scanner.model import BannerMetrics, ConsentDriving, Observation, Visit
from kelisim.scanner.run import ScanRun
from kelisim.scanner.tls import spki_hashes
from kelisim.scanner.upload import UploadError, upload
from kelisim.settings import DEFAULT_CATALOGUE

SITE = "https://creditplus.kz/"
PNG = base64.b64encode(b"\x89PNG\r\n\x1a\nfake").decode()


@pytest.fixture(scope="module")
def catalogue():
    return load(DEFAULT_CATALOGUE)


def synthetic_run() -> ScanRun:
    obs = [
        Observation("request", "none", SITE, "pre", "request:vk.com", host="vk.com",
                    url="https://vk.com/rtrg", source="cdp", initiator=SITE),
        Observation("cookie", "none", SITE, "final", "cookie:_ym_uid@creditplus.kz",
                    host="creditplus.kz", name="_ym_uid", source="js",
                    lifetime_seconds=86400 * 365),
        Observation("cookie", "none", SITE, "final", "cookie:kelisim_consent@creditplus.kz",
                    host="creditplus.kz", name="kelisim_consent", source="jar"),
    ]  # fmt: skip
    banner = BannerMetrics(SITE, True, {"accept": {"text": "Принять", "width": 100, "height": 40,
                           "area": 4000, "font_size": 16, "font_weight": 400}},
                           screenshot_png_b64=PNG)  # fmt: skip
    run = ScanRun(started_at="2026-01-01T00:00:00+00:00", finished_at="2026-01-01T00:01:00+00:00")
    run.visits = [Visit(SITE, "none", observations=obs, banner=banner), Visit(SITE, "reject")]
    run.pages = [SITE]
    run.states = ["none", "reject", "accept", "withdraw", "vendor:vk"]
    run.environment = {"cookie_policy": "allow-third-party", "browser": "Chromium test"}
    return run


@pytest.fixture
def written(tmp_path, catalogue):
    config = ScanConfig(urls=[SITE], out=tmp_path, catalogue=DEFAULT_CATALOGUE)
    run = synthetic_run()
    outcome = analyse(run, config, catalogue)
    write_reports(outcome, run, tmp_path)
    return tmp_path, outcome


def test_report_json_is_versioned_with_attributed_observations(written):
    out, outcome = written
    report = json.loads((out / "report.json").read_text())
    assert report["schema"] == "kelisim-scan/1"
    assert report["environment"]["cookie_policy"] == "allow-third-party"
    kinds = {(o["kind"], o.get("vendor")) for o in report["observations"]}
    assert ("request", "vk") in kinds and ("cookie", "yandex_metrika") in kinds
    v02 = next(f for f in report["findings"] if f["rule"] == "V02")
    assert v02["vendor"] == "vk" and v02["state"] == "none" and v02["page"] == SITE
    assert v02["evidence"]["url"] == "https://vk.com/rtrg" and len(v02["id"]) == 16
    assert report["summary"]["exit_code"] == outcome.exit_code == 1


def test_junit_has_one_testcase_per_rule_and_state(written):
    out, _ = written
    root = ET.parse(out / "junit.xml").getroot()
    cases = root.findall(".//testcase")
    names = {(c.get("classname"), c.get("name").split()[0]) for c in cases}
    assert ("kelisim.scan.none", "V01") in names
    assert ("kelisim.scan.reject", "V03") in names
    assert ("kelisim.scan.vendor:vk", "V04") in names
    assert ("kelisim.scan.any", "V06") in names
    assert len(names) == len(cases)
    failed = {
        (c.get("classname"), c.get("name").split()[0])
        for c in cases
        if c.find("failure") is not None
    }
    assert failed == {
        ("kelisim.scan.none", "V01"),
        ("kelisim.scan.none", "V02"),
        ("kelisim.scan.none", "V13"),
    }


def test_html_report_is_self_contained(written):
    out, _ = written
    text = (out / "report.html").read_text()
    assert "<style>" in text and f"data:image/png;base64,{PNG}" in text
    assert "<link" not in text and "<script" not in text
    assert "V02" in text and "allow-third-party" in text


def test_how_consent_was_set_is_in_both_reports(tmp_path, catalogue):
    """A failed self-test and a state that could not be set are not lost in the summary."""
    run = synthetic_run()
    run.visits[1].consent = ConsentDriving(
        method="autoconsent", cmp="Onetrust", action="optOut", popup=True, result=True,
        self_test=False,
    )  # fmt: skip
    run.visits.append(Visit(SITE, "accept", ok=False, error="state not applicable: …",
                            consent=ConsentDriving(method=None, note="no rule")))  # fmt: skip
    config = ScanConfig(urls=[SITE], out=tmp_path, catalogue=DEFAULT_CATALOGUE)
    write_reports(analyse(run, config, catalogue), run, tmp_path)
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["consent"] == {
        "cmps": ["Onetrust"],
        "methods": {"autoconsent": ["reject"]},
        "not_driven": [{"page": SITE, "state": "accept", "reason": "no rule"}],
        "self_test": {"passed": 0, "failed": 1, "not_run": 0},
    }
    reject = next(v for v in report["visits"] if v["state"] == "reject")
    assert reject["consent"]["self_test"] is False and reject["consent"]["cmp"] == "Onetrust"
    assert next(v for v in report["visits"] if v["state"] == "none")["consent"] is None
    html = (tmp_path / "report.html").read_text()
    assert "self-test FAILED" in html and "0 passed, 1 failed" in html
    assert "accept on https://creditplus.kz/: no rule" in html


def test_cookie_declaration_in_three_formats(written):
    out, _ = written
    rows = json.loads((out / "cookie-declaration.json").read_text())
    names = {r["name"]: r for r in rows}
    assert (
        names["_ym_uid"]["vendor"] == "yandex_metrika"
        and names["_ym_uid"]["lifetime"] == "365 days"
    )
    assert names["kelisim_consent"]["purposes"] == "necessary"
    table = list(csv.DictReader(io.StringIO((out / "cookie-declaration.csv").read_text())))
    assert {r["name"] for r in table} == set(names)
    assert "<table" in (out / "cookie-declaration.html").read_text()


def test_declaration_collapses_test_keys_into_one_row_and_shows_the_country(catalogue):
    """Amplitude's AMP_TEST_<timestamp> cookies (one per page load) and an unknown widget's
    random-suffix keys are one row each, and the HTML table says where each vendor is."""
    from kelisim.scanner.attribute import Attributor
    from kelisim.scanner.report import declaration

    def amp(name: str) -> Observation:
        return Observation("cookie", "accept", SITE, "final", f"cookie:{name}@creditplus.kz",
                           host="creditplus.kz", name=name, source="js")  # fmt: skip

    obs = [amp(f"AMP_TEST_{1700000000000 + i}") for i in range(50)]
    obs += [amp("AMP_0123456789"), amp("AMP_MKTG_0123456789")]
    widget = [f"wdg_{i}f3a9c2d7e1b4a5c6" for i in range(3)]
    obs += [Observation("storage", "accept", SITE, "final", f"storage:local:{key}",
                        host="creditplus.kz", name=key, storage_kind="local")
            for key in widget]  # fmt: skip
    obs += [Observation("storage", "accept", SITE, "final", "storage:local:_ym_uid",
                        host="creditplus.kz", name="_ym_uid", storage_kind="local")]  # fmt: skip
    Attributor(catalogue, site_urls=[SITE]).attribute_all(obs)
    rows = declaration.build(obs, catalogue, {"creditplus.kz"})
    names = {r["name"]: r for r in rows}
    assert names["AMP_TEST_*"]["names_seen"] == 50 and names["AMP_TEST_*"]["vendor"] == "amplitude"
    assert "AMP_MKTG_*" in names and "AMP_*" in names and "_ym_uid" in names
    assert len([r for r in rows if r["name"].startswith("AMP_")]) == 3
    collapsed = [(r["name"], r["names_seen"]) for r in rows if r["name"].startswith("wdg_")]
    assert collapsed == [("wdg_*", 3)]
    html_table = declaration.to_html(rows)
    assert "<th>Country</th>" in html_table and "<td>US</td>" in html_table


def test_feature_switches_are_merged_not_overridden():
    args = launch_args(["--disable-features=IsolateOrigins", "--enable-features=A"])
    disabled = [a for a in args if a.startswith("--disable-features=")]
    assert disabled == ["--disable-features=RenderDocument,IsolateOrigins"]


def test_ca_spki_hash_matches_cryptography(tmp_path):
    import datetime as dt
    import hashlib

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(x509.oid.NameOID.COMMON_NAME, "test CA")])
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(7).not_valid_before(dt.datetime(2020, 1, 1))
        .not_valid_after(dt.datetime(2040, 1, 1)).sign(key, hashes.SHA256())
    )  # fmt: skip
    path = tmp_path / "ca.pem"
    path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    spki = key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    assert spki_hashes(path) == [base64.b64encode(hashlib.sha256(spki).digest()).decode()]


class _Receiver(http.server.BaseHTTPRequestHandler):
    received: ClassVar[list] = []

    def log_message(self, *args):
        return None

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        _Receiver.received.append((self.path, self.headers["Authorization"], json.loads(body)))
        status = 201 if self.headers["Authorization"] == "Bearer good" else 401
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(b'{"id": "scan-1"}')


def test_declaration_csv_cells_cannot_run_as_spreadsheet_formulas(catalogue):
    """A cookie name is whatever the scanned site chose; opened in a spreadsheet, a CSV cell
    starting with = + - @ tab or CR would run as a formula, so such cells are quoted as text."""
    from kelisim.scanner.report import declaration

    hostile = ['=HYPERLINK("x")', "+1", "-2", "@SUM(A1)", "\tx", "\rx"]
    obs = [Observation("cookie", "accept", SITE, "final", f"cookie:{n}@creditplus.kz",
                       host="creditplus.kz", name=n, source="js") for n in hostile]  # fmt: skip
    rows = declaration.build(obs, catalogue, {"creditplus.kz"})
    table = list(csv.DictReader(io.StringIO(declaration.to_csv(rows), newline="")))
    assert sorted(r["name"] for r in table) == sorted("'" + n for n in hostile)
    assert all(not r[k].startswith(declaration.FORMULA_STARTS) for r in table for k in r)


def test_upload_token_is_read_from_a_file_or_the_environment(tmp_path, monkeypatch):
    from kelisim.scanner.cli import make_config, parse_args

    token_file = tmp_path / "token"
    token_file.write_text("from-the-file\n")
    argv = ["https://x.test/", "--upload", "https://cmp.test",
            "--catalogue", str(DEFAULT_CATALOGUE)]  # fmt: skip
    monkeypatch.setenv("KELISIM_UPLOAD_TOKEN", "from-the-environment")
    assert make_config(parse_args(argv)).upload_token == "from-the-environment"
    with_file = [*argv, "--upload-token-file", str(token_file)]
    assert make_config(parse_args(with_file)).upload_token == "from-the-file"


def test_upload_posts_report_with_bearer_token():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        assert "scan-1" in upload(url, "good", {"schema": "kelisim-scan/1"})
        path, auth, body = _Receiver.received[-1]
        assert (path, auth, body["schema"]) == ("/api/v1/scans", "Bearer good", "kelisim-scan/1")
        with pytest.raises(UploadError, match="HTTP 401 \\(token rejected\\)"):
            upload(url, "bad", {})
        with pytest.raises(UploadError, match="needs a token"):
            upload(url, None, {})
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize(
    "argv, message",
    [
        (["not-a-url"], "not an http(s) URL"),
        (["https://x.test/", "--pages", "0"], "--pages must be at least 1"),
        (["https://x.test/", "--fail-on", "info"], "is not one of"),
        (["https://x.test/", "--catalogue", "missing.yaml"], "no such file"),
        (["https://x.test/", "--states", "sometimes"], "unknown state 'sometimes'"),
        (["https://x.test/", "--vendors", "google"], "unknown vendor id 'google'"),
        (["https://x.test/", "--config", "CONFIG"], "unknown key(s) colour"),
        (["https://x.test/", "--waivers", "WAIVERS"], "needs a reason"),
        (["https://x.test/", "--baseline", "missing.json"], "no such file"),
        (["https://x.test/", "--upload", "https://cmp.test"], "--upload needs"),
        (
            ["https://x.test/", "--upload", "https://cmp.test", "--upload-token-file", "nofile"],
            "cannot be read",
        ),
        (
            ["https://x.test/", "--upload", "https://cmp.test", "--upload-token-file", "EMPTY"],
            "the file is empty",
        ),
    ],
)
def test_usage_and_configuration_errors_exit_2(argv, message, tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("KELISIM_UPLOAD_TOKEN", raising=False)
    config = tmp_path / "scan.yaml"
    config.write_text("colour: blue\n")
    waivers = tmp_path / "waivers.yaml"
    waivers.write_text("- id: abc\n")
    empty = tmp_path / "token"
    empty.write_text("\n")
    named = {"CONFIG": config, "WAIVERS": waivers, "EMPTY": empty}
    argv = [str(named[a]) if a in named else a for a in argv]
    if "--catalogue" not in argv:
        argv += ["--catalogue", str(DEFAULT_CATALOGUE)]
    assert main([*argv, "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
