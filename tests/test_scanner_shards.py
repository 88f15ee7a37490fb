"""A scan split over CI runners (`kelisim scan --shard i/n`) and joined again (`kelisim scan merge`)
gives the findings of one unsharded scan, in real Chromium against the loopback site of
tests/support/scanner_site.py; a merge that lacks a shard, or mixes scans, is refused."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kelisim.scanner.cli import main
from kelisim.scanner.run import shard_of
from tests.support.scanner_site import LoopbackSite
from tests.test_scanner_browser import CATALOGUE

STATES = "none,reject,accept"
PATHS = ("/bad/", "/late-bad/")  # with /about/ from the sitemap: three pages


@pytest.fixture(scope="module")
def site():
    server = LoopbackSite()
    yield server
    server.stop()


def _scan(site, out: Path, *extra: str) -> dict:
    main([*(site.url + p for p in PATHS), "--out", str(out), "--catalogue", CATALOGUE,
          "--quiet", "--states", STATES, "--pages", "3", "--depth", "1", *site.resolve_args,
          *extra])  # fmt: skip
    return json.loads((out / "report.json").read_text(encoding="utf-8"))


def _findings(report: dict) -> dict[str, tuple]:
    return {
        f["id"]: (f["rule"], f["state"], f["vendor"], f["artefact"], f["pages"], f["evidence"])
        for f in report["findings"]
    }


@pytest.mark.browser
@pytest.mark.slow
def test_two_shards_merged_give_the_findings_of_one_scan(site, tmp_path, capsys) -> None:
    pages = [site.url + p for p in ("/bad/", "/about/", "/late-bad/")]
    assert {shard_of(p, 2) for p in pages} == {1, 2}  # the split is not trivial
    whole = _scan(site, tmp_path / "whole")
    first = _scan(site, tmp_path / "shard-1", "--shard", "1/2")
    second = _scan(site, tmp_path / "shard-2", "--shard", "2/2")
    assert first["target"]["pages"] == second["target"]["pages"] == whole["target"]["pages"]
    for shard, report in ((1, first), (2, second)):
        judged = {v["page"] for v in report["visits"]}
        assert judged == {p for p in pages if shard_of(p, 2) == shard}
    assert len(first["visits"]) + len(second["visits"]) == len(whole["visits"]) == 9
    # Neither shard alone has every finding, and a shard alone says "declared but never observed"
    # (V09) of what the other one saw: joining their findings would not do, they are judged again.
    whole_ids, first_ids, second_ids = (
        set(_findings(whole)),
        set(_findings(first)),
        set(_findings(second)),
    )
    assert whole_ids - first_ids and whole_ids - second_ids
    only_one_shard = (first_ids | second_ids) - whole_ids
    either = {**_findings(first), **_findings(second)}
    assert only_one_shard and {either[i][0] for i in only_one_shard} == {"V09"}

    out = tmp_path / "merged"
    code = main(["merge", str(tmp_path / "shard-1" / "report.json"),
                 str(tmp_path / "shard-2" / "report.json"), "--out", str(out),
                 "--catalogue", CATALOGUE, "--quiet"])  # fmt: skip
    merged = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert _findings(merged) == _findings(whole)
    assert code == whole["summary"]["exit_code"] == 1
    assert merged["summary"]["visits"] == 9 and merged["environment"]["merged_shards"] == 2
    assert (out / "report.html").stat().st_size > 0 and (out / "junit.xml").is_file()

    capsys.readouterr()
    lone = main(["merge", str(tmp_path / "shard-1" / "report.json"), "--out",
                 str(tmp_path / "lone"), "--catalogue", CATALOGUE])  # fmt: skip
    assert lone == 2 and "shard 2/2 missing" in capsys.readouterr().err
    unsharded = main(["merge", str(tmp_path / "whole" / "report.json"), "--out",
                      str(tmp_path / "x"), "--catalogue", CATALOGUE])  # fmt: skip
    assert unsharded == 2 and "not a shard" in capsys.readouterr().err


@pytest.mark.parametrize("value", ["0/2", "3/2", "2", "a/b"])
def test_a_bad_shard_is_a_usage_error(value, tmp_path, capsys) -> None:
    code = main(["http://127.0.0.1:9/", "--out", str(tmp_path), "--shard", value])
    assert code == 2 and f"--shard {value}: use I/N" in capsys.readouterr().err


def test_the_split_depends_on_the_path_not_the_host() -> None:
    assert shard_of("https://creditplus.kz/credit?x=1", 4) == shard_of(
        "http://10.0.0.5:8443/credit?x=1", 4
    )
    assert {shard_of(f"https://creditplus.kz/p{i}/", 4) for i in range(40)} == {1, 2, 3, 4}
