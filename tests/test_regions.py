"""Region rules over a GeoIP database built here: an EEA and a Kazakhstan address get different
texts and defaults, the server refuses vendors hidden in a region, the receipt names the rule."""

from __future__ import annotations

import re
import secrets
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from mmdb_writer import MMDBWriter
from netaddr import IPSet

from kelisim.domain.catalogue import CatalogueError, loads
from kelisim.domain.regions import rule_for
from kelisim.settings import DEFAULT_CATALOGUE
from tests.conftest import make_settings

GERMANY = "85.214.10.20"
ALMATY = "2.72.10.20"
NOWHERE = "198.51.100.7"  # not in the database: region unknown

REGIONS = """
regions:
  - id: eea_gdpr
    match: [EEA, CH]
    consent_lifetime_days: 180
    hide_vendors: [vk]
    texts:
      ru: {title: "Файлы cookie и GDPR"}
      kk: {title: "Cookie файлдары және GDPR"}
      en: {title: "Cookies and your GDPR rights"}
  - id: kz_law_94
    match: [KZ]
    consent_lifetime_days: 365
    texts:
      en: {title: "Cookies under the Law on Personal Data (94-V)"}
"""


def _catalogue_text(extra: str = REGIONS) -> str:
    return (DEFAULT_CATALOGUE).read_text(encoding="utf-8").rstrip() + "\n" + extra


@pytest.fixture
def geoip_db(tmp_path: Path) -> Path:
    writer = MMDBWriter(ip_version=6, ipv4_compatible=True, database_type="GeoLite2-Country")
    writer.insert_network(IPSet(["85.214.0.0/16"]), {"country": {"iso_code": "DE"}})
    writer.insert_network(IPSet(["2.72.0.0/16"]), {"country": {"iso_code": "KZ"}})
    path = tmp_path / "GeoLite2-Country.mmdb"
    writer.to_db_file(str(path))
    return path


@pytest.fixture
def settings(database_url: str, tmp_path: Path, geoip_db: Path):
    catalogue = tmp_path / "vendors.yaml"
    catalogue.write_text(_catalogue_text(), encoding="utf-8")
    return make_settings(database_url, tmp_path, catalogue_path=catalogue, geoip_database=geoip_db)


def _from(address: str) -> dict:
    return {"REMOTE_ADDR": address}


def _config(client, address: str, lang: str = "en", detail: str = "full") -> dict:
    response = client.get(
        f"/api/v1/config?site=default&lang={lang}&detail={detail}", environ_base=_from(address)
    )
    assert response.status_code == 200
    assert response.headers["Cache-Control"].startswith("private")
    return response.get_json()


def _accept_all(client, consent_body, address: str) -> dict:
    response = client.post(
        "/api/v1/consent",
        json=consent_body(event_id=secrets.token_urlsafe(12)),
        environ_base=_from(address),
        headers={"Origin": "http://127.0.0.1:5000"},
    )
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def test_eea_and_kazakhstan_get_different_texts(client) -> None:
    eea, kz = _config(client, GERMANY), _config(client, ALMATY)
    assert eea["texts"]["title"] == "Cookies and your GDPR rights"
    assert kz["texts"]["title"] == "Cookies under the Law on Personal Data (94-V)"
    assert eea["region"] == {"rule": "eea_gdpr", "implied_consent": False}
    assert kz["region"] == {"rule": "kz_law_94", "implied_consent": False}
    assert (eea["consent_lifetime_days"], kz["consent_lifetime_days"]) == (180, 365)
    # Only the overridden key changes; the rest are the catalogue's texts.
    assert eea["texts"]["accept_all"] == kz["texts"]["accept_all"]
    assert _config(client, GERMANY, lang="kk")["texts"]["title"] == "Cookie файлдары және GDPR"
    # The lean first layer is regional too.
    banner = _config(client, GERMANY, lang="ru", detail="banner")
    assert banner["texts"]["title"] == "Файлы cookie и GDPR"


def test_a_hidden_vendor_is_marked_and_never_granted_in_its_region(client, consent_body) -> None:
    vk_in_eea = [v for v in _config(client, GERMANY)["vendors"] if v["id"] == "vk"]
    assert vk_in_eea and vk_in_eea[0]["hidden"] is True
    assert all("hidden" not in v for v in _config(client, ALMATY)["vendors"])

    eea = _accept_all(client, consent_body, GERMANY)
    kz = _accept_all(client, consent_body, ALMATY)
    assert "vk" not in eea["granted"] and "yandex_metrika" in eea["granted"]
    assert "vk" in kz["granted"]


def test_defaults_differ_and_the_receipt_names_the_rule(client, consent_body) -> None:
    now = datetime.now(UTC)
    eea = _accept_all(client, consent_body, GERMANY)
    kz = _accept_all(client, consent_body, ALMATY)
    eea_expires = datetime.fromisoformat(eea["expires"].replace("Z", "+00:00"))
    kz_expires = datetime.fromisoformat(kz["expires"].replace("Z", "+00:00"))
    assert abs(eea_expires - (now + timedelta(days=180))) < timedelta(minutes=5)
    assert abs(kz_expires - (now + timedelta(days=365))) < timedelta(minutes=5)

    for answer, rule in ((eea, "eea_gdpr"), (kz, "kz_law_94")):
        history = client.get(f"/api/v1/consent/{answer['consent_id']}").get_json()
        assert history["events"][-1]["region_rule"] == rule
        page = client.get(f"/consent/{answer['consent_id']}?lang=en").get_data(as_text=True)
        assert re.search(rf"Region rule</dt>\s*<dd[^>]*><code>{rule}</code>", page), rule


def test_an_unknown_region_gets_no_rule(client, consent_body) -> None:
    config = _config(client, NOWHERE)
    assert "region" not in config
    answer = _accept_all(client, consent_body, NOWHERE)
    history = client.get(f"/api/v1/consent/{answer['consent_id']}").get_json()
    assert history["events"][-1]["region_rule"] is None
    assert "vk" in answer["granted"]


def test_closing_the_banner_grants_nothing_without_implied_consent(client, consent_body) -> None:
    response = client.post(
        "/api/v1/consent",
        json=consent_body(action="dismiss"),
        environ_base=_from(GERMANY),
        headers={"Origin": "http://127.0.0.1:5000"},
    )
    assert response.get_json()["status"] == "deferred"
    assert response.get_json()["granted"] == []


def test_the_rules_are_published_through_the_draft(app, client) -> None:
    """Editing regions in the admin is the raw-YAML import: draft, then publish."""
    svc = app.extensions["kelisim"]
    shorter = REGIONS.replace("consent_lifetime_days: 180", "consent_lifetime_days: 90")
    text = _catalogue_text(shorter)
    svc.revisions.import_yaml("editor@example.kz", text, "upload.yaml")
    result = svc.revisions.publish("editor@example.kz", svc.revisions.draft_hash())
    assert result.published is not None
    svc.live.refresh()
    assert _config(client, GERMANY)["consent_lifetime_days"] == 90


# --- the loader --------------------------------------------------------------------------------


def test_rules_match_countries_groups_subdivisions_and_unknown() -> None:
    catalogue = loads(
        _catalogue_text(
            REGIONS + "  - id: elsewhere\n    match: [unknown, '*']\n    implied_consent: false\n"
        )
    )
    rules = catalogue.regions
    assert rule_for(rules, "FR").id == "eea_gdpr"
    assert rule_for(rules, "CH").id == "eea_gdpr"
    assert rule_for(rules, "KZ-ALA").id == "kz_law_94"
    assert rule_for(rules, "US").id == "elsewhere"
    assert rule_for(rules, None).id == "elsewhere"
    assert "regions" in catalogue.to_dict()


def test_a_catalogue_without_regions_keeps_its_hash() -> None:
    plain = loads((DEFAULT_CATALOGUE).read_text(encoding="utf-8"))
    assert plain.regions == () and "regions" not in plain.to_dict()
    assert loads(_catalogue_text()).content_hash != plain.content_hash


@pytest.mark.parametrize(
    "rule, field, message",
    [
        ("  - id: x\n    match: [eu]\n", "region 'x': match[0]", "ISO 3166-1"),
        ("  - id: x\n    match: []\n", "region 'x': match", "at least one"),
        ("  - id: x\n    match: [KZ]\n    hide_vendors: [nobody]\n", "hide_vendors[0]", "unknown"),
        ("  - id: x\n    match: [KZ]\n    texts: {en: {titel: a}}\n", "en.titel", "not a key"),
        ("  - id: x\n    match: [KZ]\n    texts: {de: {title: a}}\n", "texts.de", "languages"),
        ("  - id: x\n    match: [KZ]\n    consent_lifetime_days: 0\n", "consent_lifetime", ""),
        ("  - id: x\n    match: [KZ]\n    implied_consent: maybe\n", "implied_consent", "true"),
        ("  - id: X\n    match: [KZ]\n", "regions[0].id", "lowercase"),
        ("  - id: x\n    match: [KZ]\n    colour: red\n", "colour", "unknown key"),
        ("  - id: x\n    match: [KZ]\n  - id: x\n    match: [RU]\n", "regions[1].id", "unique"),
    ],
)
def test_a_bad_rule_names_file_line_and_field(rule: str, field: str, message: str) -> None:
    text = _catalogue_text("regions:\n" + rule)
    with pytest.raises(CatalogueError) as caught:
        loads(text, "vendors.yaml")
    problems = [str(problem) for problem in caught.value.problems]
    first_rule_line = text.splitlines().index("regions:") + 2
    assert any(
        re.match(r"vendors\.yaml:(\d+): ", p)
        and int(re.match(r"vendors\.yaml:(\d+): ", p).group(1)) >= first_rule_line
        and field in p
        and message in p
        for p in problems
    ), problems


def test_the_runtime_embeds_the_regional_first_layer(client) -> None:
    response = client.get("/cmp.js?site=default&lang=en", environ_base=_from(GERMANY))
    assert "Cookies and your GDPR rights" in response.get_data(as_text=True)
    assert "public" not in response.headers["Cache-Control"]
    kz = client.get("/cmp.js?site=default&lang=en", environ_base=_from(ALMATY))
    assert "Cookies under the Law on Personal Data (94-V)" in kz.get_data(as_text=True)


def test_implied_consent_applies_only_where_a_rule_says_so(tmp_path, geoip_db, sqlite_url) -> None:
    """An opt-out rule (here: for addresses the database does not know) records closing the banner
    as consent to the vendors it shows; the EEA rule, without it, records nothing granted."""
    from kelisim.web.app import create_app

    catalogue = tmp_path / "opt-out.yaml"
    opt_out = "  - id: opt_out\n    match: [unknown]\n    implied_consent: true\n"
    opt_out += "    hide_vendors: [juicyscore]\n"
    catalogue.write_text(_catalogue_text(REGIONS + opt_out), encoding="utf-8")
    app = create_app(
        make_settings(sqlite_url, tmp_path, catalogue_path=catalogue, geoip_database=geoip_db)
    )
    try:
        client = app.test_client()
        revision = app.extensions["kelisim"].catalogue.revision

        def dismiss(address: str) -> dict:
            body = {"site": "default", "revision": revision, "language": "en",
                    "action": "dismiss", "event_id": secrets.token_urlsafe(12)}  # fmt: skip
            return client.post("/api/v1/consent", json=body, environ_base=_from(address)).get_json()

        implied = dismiss(NOWHERE)
        assert implied["status"] == "given"
        assert "yandex_metrika" in implied["granted"] and "juicyscore" not in implied["granted"]
        assert _config(client, NOWHERE)["region"] == {"rule": "opt_out", "implied_consent": True}
        expressed = dismiss(GERMANY)
        assert expressed["status"] == "deferred" and expressed["granted"] == []
    finally:
        app.extensions["kelisim"].close()


def test_the_no_javascript_preferences_page_applies_the_region_rule_too(client) -> None:
    """The region rule belongs to recording a choice, not to one door: accepting everything on
    /preferences from the EEA refuses the vendor hidden there and keeps the rule beside the event,
    exactly as the banner's POST does."""
    answers = {}
    for address in (GERMANY, ALMATY):
        html = client.get(
            "/preferences?site=default&lang=en", environ_base=_from(address)
        ).get_data(as_text=True)
        token = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
        response = client.post(
            "/preferences",
            data={"csrf_token": token, "site": "default", "lang": "en", "action": "accept_all"},
            environ_base=_from(address),
        )
        assert response.status_code == 303
        consent_id = response.headers["Location"].split("/consent/")[1].split("?")[0]
        answers[address] = client.get(f"/api/v1/consent/{consent_id}").get_json()
        client.delete_cookie("kelisim_consent")
    eea, kz = answers[GERMANY]["events"][-1], answers[ALMATY]["events"][-1]
    assert eea["region_rule"] == "eea_gdpr" and kz["region_rule"] == "kz_law_94"
    assert eea["grants"]["vk"] is False and eea["grants"]["yandex_metrika"] is True
    assert kz["grants"]["vk"] is True
