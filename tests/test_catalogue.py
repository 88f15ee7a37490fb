"""The catalogue as its users meet it: the shipped vendors.yaml, and the errors an editor reads."""

from __future__ import annotations

import dataclasses

import pytest

from kelisim.domain import catalogue
from kelisim.domain.catalogue import CatalogueError, CookieSpec, Site, StorageSpec
from kelisim.settings import DEFAULT_CATALOGUE
from tests.support.contract import VENDOR_IDS

REPO_CATALOGUE = DEFAULT_CATALOGUE
POLICY_VENDORS = VENDOR_IDS
LANGUAGES = ("ru", "kk", "en")
KAZAKH_LETTERS = set("әғқңөұүһіӘҒҚҢӨҰҮҺІ")


def _texts_block() -> str:
    lines = ["texts:"]
    for language in LANGUAGES:
        lines.append(f"  {language}:")
        for key in sorted(catalogue.REQUIRED_TEXT_KEYS):
            value = "Allow {vendor}" if key == "vendor_toggle_label" else f"{key} ({language})"
            lines.append(f'    {key}: "{value}"')
    return "\n".join(lines) + "\n"


# A small valid catalogue; tests break one thing at a time and look for the line it is on.
MINIMAL = """\
schema: 1
revision: 1
consent_lifetime_days: 180
default_language: ru
languages: [ru, kk, en]
operator:
  name: Test operator
  site_url: https://example.kz
  privacy_policy_url: https://example.kz/privacy
  bin: null
  contact: {email: null, phone: null, address: null}
  responsible_person: null
sites:
  default:
    origins: ["http://localhost:*"]
purposes:
  - id: necessary
    required: true
    name: {ru: Необходимые, kk: Қажетті, en: Necessary}
    description: {ru: Нужны сайту, kk: Сайтқа қажет, en: Needed by the site}
  - id: analytics
    name: {ru: Аналитика, kk: Аналитика, en: Analytics}
    description: {ru: Статистика, kk: Статистика, en: Statistics}
vendors:
  - id: yandex_metrika
    name: Yandex Metrica
    company: Yandex LLC
    country: RU
    data_leaves_kz: true
    purposes: [analytics]
    privacy_policy_url: https://yandex.com/legal/confidential/
    consent_api: null
    script_hosts: [mc.yandex.ru]
    beacon_hosts: [mc.yandex.kz]
    cookies:
      - {name: _ym_uid, match: exact, party: first, lifetime: 365d}
    storage: []
    description: {ru: Аналитика Яндекса, kk: Яндекс аналитикасы, en: Yandex analytics}
""" + _texts_block()


def line_of(text: str, needle: str) -> int:
    """1-based line of the first occurrence, so tests name the line by its content."""
    index = text.index(needle)
    return text.count("\n", 0, index) + 1


def problems_of(text: str, source: str = "vendors.yaml") -> list[catalogue.Problem]:
    with pytest.raises(CatalogueError) as raised:
        catalogue.loads(text, source)
    return raised.value.problems


@pytest.fixture(scope="module")
def shipped() -> catalogue.Catalogue:
    return catalogue.load(REPO_CATALOGUE)


# -- the shipped catalogue ----------------------------------------------------------------------


def test_shipped_catalogue_lists_exactly_the_fourteen_policy_vendors(shipped):
    assert shipped.vendor_ids == POLICY_VENDORS
    assert shipped.revision == 1
    assert shipped.consent_lifetime_days == 180
    assert shipped.languages == LANGUAGES
    assert shipped.default_language == "ru"


def test_every_vendor_and_purpose_speaks_russian_kazakh_and_english(shipped):
    for vendor in shipped.vendors:
        texts = {language: vendor.description.get(language) for language in LANGUAGES}
        assert all(len(text) > 80 for text in texts.values()), vendor.id
        assert len(set(texts.values())) == 3, f"{vendor.id}: a language was copied, not translated"
        assert KAZAKH_LETTERS & set(texts["kk"]), f"{vendor.id}: the kk text is not Kazakh"
    for purpose in shipped.purposes:
        assert KAZAKH_LETTERS & set(purpose.description.get("kk")), purpose.id


def test_banner_texts_have_the_same_keys_in_every_language(shipped):
    keys = {language: set(shipped.texts[language]) for language in LANGUAGES}
    assert keys["ru"] == keys["kk"] == keys["en"]
    assert keys["ru"] >= catalogue.REQUIRED_TEXT_KEYS
    for language in LANGUAGES:
        assert "{vendor}" in shipped.texts[language]["vendor_toggle_label"]


@pytest.mark.parametrize("language", LANGUAGES)
def test_public_config_in_each_language_lists_every_vendor_with_its_texts(shipped, language):
    config = shipped.public_config("default", language)
    assert config["language"] == language
    assert config["hash"] == shipped.content_hash
    assert [vendor["id"] for vendor in config["vendors"]] == list(POLICY_VENDORS)
    assert all(value.strip() for value in config["texts"].values())
    for purpose in config["purposes"]:
        assert purpose["name"] and purpose["description"]
    for vendor in config["vendors"]:
        assert vendor["description"] == shipped.vendor(vendor["id"]).description.get(language)
        assert vendor["name"] and vendor["company"] and vendor["privacy_policy_url"]
    assert config["operator"]["privacy_policy_url"] == "https://creditplus.kz/privacy-policy"


def test_public_config_gives_seconds_and_null_for_session_cookies(shipped):
    config = shipped.public_config("default", "ru")
    metrika = next(vendor for vendor in config["vendors"] if vendor["id"] == "yandex_metrika")
    cookies = {cookie["name"]: cookie for cookie in metrika["cookies"]}
    assert cookies["_ym_uid"]["lifetime_seconds"] == 365 * 86400
    assert cookies["_ym_visorc"]["lifetime_seconds"] == 30 * 60
    assert cookies["_ym_debug"]["lifetime_seconds"] is None
    assert cookies["_ym_debug"]["lifetime_known"] is True
    assert cookies["yandexuid"]["domain"] == ".yandex.ru"
    assert "mc.yandex.kz" in metrika["hosts"]


def test_public_config_refuses_an_unknown_site_or_language(shipped):
    with pytest.raises(KeyError):
        shipped.public_config("nosuchsite", "ru")
    with pytest.raises(KeyError):
        shipped.public_config("default", "de")


def test_unknown_facts_are_flagged_not_invented(shipped):
    userx = shipped.vendor("userx")
    assert userx.hosts == () and userx.cookies == ()
    assert {"script_hosts", "cookies", "storage", "country"} <= set(userx.unknown)
    assert userx.country is None and userx.data_leaves_kz
    juicyscore = shipped.vendor("juicyscore")
    assert juicyscore.cookies == () and "cookies" in juicyscore.unknown
    config = {v["id"]: v for v in shipped.public_config("default", "kk")["vendors"]}
    assert config["userx"]["has_unknowns"] is True
    assert "unknown" not in config["userx"]  # English research notes are not visitor text
    tmr_req = next(c for c in shipped.vendor("mail_ru").cookies if c.name == "tmr_reqNum")
    assert tmr_req.lifetime_known is False and tmr_req.lifetime_seconds is None


def test_only_self_hosted_matomo_keeps_data_in_kazakhstan(shipped):
    staying = [vendor.id for vendor in shipped.vendors if not vendor.data_leaves_kz]
    assert staying == ["matomo"]
    matomo = shipped.vendor("matomo")
    assert matomo.country == "KZ" and matomo.hosts == ()
    assert matomo.paths == ("/matomo.js", "/matomo.php")
    assert matomo.consent_api == "matomo"


def test_mail_ru_and_mytarget_declare_the_shared_top_mail_ru_pixel(shipped):
    for vendor_id in ("mail_ru", "mytarget"):
        vendor = shipped.vendor(vendor_id)
        assert "top-fwz1.mail.ru" in vendor.script_hosts
        assert any(cookie.matches("tmr_lvid") for cookie in vendor.cookies)
        assert "Top.Mail.Ru" in vendor.description.get("en")
        assert "myTarget" in vendor.description.get("ru")


def test_no_vendor_sits_in_the_always_on_purpose(shipped):
    assert [p.id for p in shipped.purposes] == ["necessary", "security", "analytics", "marketing"]
    assert shipped.purpose("necessary").required
    assert all("necessary" not in vendor.purposes for vendor in shipped.vendors)
    assert shipped.vendor("juicyscore").purposes == ("security",)
    assert shipped.vendor("google_tag_manager").purposes == ("analytics",)


def test_content_hash_is_stable_across_loads(shipped):
    text = REPO_CATALOGUE.read_text(encoding="utf-8")
    again = catalogue.loads(text, "elsewhere.yaml")
    assert again.content_hash == shipped.content_hash
    assert shipped.content_hash.startswith("sha256:") and len(shipped.content_hash) == 71


def test_content_hash_changes_when_one_visible_text_changes(shipped):
    text = REPO_CATALOGUE.read_text(encoding="utf-8")
    assert "    accept_all: Барлығын қабылдау\n" in text
    edited = text.replace("    accept_all: Барлығын қабылдау\n", "    accept_all: Бәрін қабылдау\n")
    assert catalogue.loads(edited).content_hash != shipped.content_hash


def test_content_hash_ignores_site_origins():
    widened = MINIMAL.replace('["http://localhost:*"]', '["http://localhost:*", "https://a.kz"]')
    assert catalogue.loads(widened).content_hash == catalogue.loads(MINIMAL).content_hash


def test_catalogue_cannot_be_changed_after_loading(shipped):
    with pytest.raises(dataclasses.FrozenInstanceError):
        shipped.vendors[0].name = "Something else"  # type: ignore[misc]
    with pytest.raises(TypeError):
        shipped.texts["ru"]["title"] = "changed"  # type: ignore[index]
    assert isinstance(shipped.vendors, tuple) and isinstance(shipped.vendors[0].cookies, tuple)


# -- what an editor sees when the file is wrong ---------------------------------------------------


def test_a_broken_file_reports_every_problem_with_file_and_line(tmp_path):
    broken = (
        MINIMAL.replace("country: RU", "country: Russia")
        .replace("purposes: [analytics]", "purposes: [analytics, ads]")
        .replace("lifetime: 365d", "lifetime: 1 year")
        .replace("script_hosts: [mc.yandex.ru]", "script_hosts: [https://mc.yandex.ru/metrika]")
        .replace("revision: 1", "revision: 0")
    )
    path = tmp_path / "broken.yaml"
    path.write_text(broken, encoding="utf-8")
    with pytest.raises(CatalogueError) as raised:
        catalogue.load(path)
    lines = str(raised.value).splitlines()
    source = str(path)
    assert len(lines) == 5
    expected = [
        (line_of(broken, "revision: 0"), "revision: 0 is out of range"),
        (line_of(broken, "country: Russia"), "vendor 'yandex_metrika': country: 'Russia'"),
        (line_of(broken, "[analytics, ads]"), "purposes[1]: unknown purpose 'ads'"),
        (line_of(broken, "script_hosts:"), "without the scheme"),
        (line_of(broken, "lifetime: 1 year"), "cookies[0].lifetime: lifetime '1 year'"),
    ]
    for line, (number, fragment) in zip(lines, expected, strict=True):
        assert line.startswith(f"{source}:{number}: "), line
        assert fragment in line, line


def test_duplicate_key_names_both_lines():
    broken = MINIMAL.replace(
        "    company: Yandex LLC\n", "    company: Yandex LLC\n    company: Y\n"
    )
    (problem,) = problems_of(broken)
    first = line_of(broken, "company: Yandex LLC")
    assert problem.line == first + 1
    assert problem.field == "vendor 'yandex_metrika': company"
    assert f"duplicate key 'company' at lines {first} and {first + 1}" in problem.message


def test_a_bad_lifetime_says_how_to_write_it():
    (problem,) = problems_of(MINIMAL.replace("lifetime: 365d", "lifetime: 1 year"))
    assert problem.field == "vendor 'yandex_metrika': cookies[0].lifetime"
    assert "'1 year'" in problem.message and "'365d'" in problem.message
    assert "'session'" in problem.message
    (problem,) = problems_of(MINIMAL.replace("lifetime: 365d", "lifetime: 365"))
    assert "no unit" in problem.message and "'365d'" in problem.message


def test_an_unknown_vendor_purpose_is_reported():
    broken = MINIMAL.replace("purposes: [analytics]", "purposes: [analytcs]")
    (problem,) = problems_of(broken)
    assert problem.line == line_of(broken, "purposes: [analytcs]")
    assert problem.field == "vendor 'yandex_metrika': purposes[0]"
    assert "unknown purpose 'analytcs'" in problem.message and "analytics" in problem.message


def test_a_vendor_cannot_use_the_always_on_purpose():
    (problem,) = problems_of(MINIMAL.replace("purposes: [analytics]", "purposes: [necessary]"))
    assert "required" in problem.message and "needs consent" in problem.message


def test_a_missing_kazakh_text_is_reported_where_the_text_belongs():
    broken = MINIMAL.replace(" kk: Яндекс аналитикасы,", "")
    (problem,) = problems_of(broken)
    assert problem.line == line_of(broken, "description: {ru: Аналитика Яндекса")
    assert problem.field == "vendor 'yandex_metrika': description.kk"
    assert "missing" in problem.message


def test_a_banner_text_missing_in_one_language_is_reported():
    broken = MINIMAL.replace('    accept_all: "accept_all (kk)"\n', "")
    (problem,) = problems_of(broken)
    assert problem.field == "texts.kk.accept_all"
    assert problem.line == line_of(broken, "  kk:")
    assert "ru, en" in problem.message


def test_a_typo_in_a_key_suggests_the_right_one():
    broken = MINIMAL.replace("    beacon_hosts:", "    becon_hosts:")
    found = {(p.field, p.message) for p in problems_of(broken)}
    assert (
        "vendor 'yandex_metrika': becon_hosts",
        "unknown key 'becon_hosts' — did you mean 'beacon_hosts'?",
    ) in found
    assert any(field == "vendor 'yandex_metrika': beacon_hosts" for field, _ in found)


def test_data_sent_abroad_cannot_be_labelled_as_staying_in_kazakhstan():
    (problem,) = problems_of(MINIMAL.replace("data_leaves_kz: true", "data_leaves_kz: false"))
    assert problem.field == "vendor 'yandex_metrika': data_leaves_kz"
    assert "RU" in problem.message


def test_an_unknown_lifetime_needs_a_note():
    broken = MINIMAL.replace("lifetime: 365d", "lifetime: unknown")
    (problem,) = problems_of(broken)
    assert "unknown.cookies" in problem.message
    noted = broken.replace(
        "    storage: []\n", "    storage: []\n    unknown: {cookies: lifetime not published}\n"
    )
    assert catalogue.loads(noted).vendors[0].cookies[0].lifetime_known is False


def test_a_third_party_cookie_needs_its_domain():
    broken = MINIMAL.replace("party: first", "party: third")
    (problem,) = problems_of(broken)
    assert problem.field == "vendor 'yandex_metrika': cookies[0].domain"


def test_a_yaml_syntax_error_reports_file_and_line():
    broken = MINIMAL.replace("languages: [ru, kk, en]", "languages: [ru, kk, en")
    (problem,) = problems_of(broken, "vendors.yaml")
    assert str(problem).startswith("vendors.yaml:")
    assert "YAML syntax error" in problem.message
    assert line_of(broken, "languages:") <= problem.line <= line_of(broken, "operator:")


def test_a_missing_file_names_the_file(tmp_path):
    missing = tmp_path / "nowhere.yaml"
    with pytest.raises(CatalogueError) as raised:
        catalogue.load(missing)
    assert str(missing) in str(raised.value) and "not found" in str(raised.value)


def test_an_unquoted_country_code_read_as_false_is_explained():
    (problem,) = problems_of(MINIMAL.replace("country: RU", "country: NO"))
    assert "quote it" in problem.message


# -- matching ------------------------------------------------------------------------------------


def test_cookie_specs_match_exact_names_and_prefixes():
    exact = CookieSpec("_ga", "exact", "first", None, 63072000)
    prefix = CookieSpec("_ga_", "prefix", "first", None, 63072000)
    assert exact.matches("_ga") and not exact.matches("_ga_AB12") and not exact.matches("_GA")
    assert prefix.matches("_ga_AB12") and not prefix.matches("_ga")
    third = CookieSpec("b", "exact", "third", ".mail.ru", None, False)
    assert third.matches("b") and third.matches("b", domain="top-fwz1.mail.ru")
    assert not third.matches("b", domain="creditplus.kz")


def test_storage_specs_match_exact_keys_and_prefixes():
    assert StorageSpec("local", "_ym", "prefix").matches("_ym12345_lsid")
    assert not StorageSpec("local", "_ym_uid", "exact").matches("_ym_uid2")


def test_site_allows_any_port_with_a_wildcard_but_never_the_null_origin():
    site = Site("default", ("http://localhost:*", "https://creditplus.kz"), None, None)
    assert site.allows_origin("http://localhost:5000")
    assert site.allows_origin("http://localhost")
    assert not site.allows_origin("https://localhost:5000")
    assert site.allows_origin("https://creditplus.kz")
    assert site.allows_origin("https://creditplus.kz:443")
    assert not site.allows_origin("https://creditplus.kz:8443")
    assert not site.allows_origin("https://evil-creditplus.kz")
    assert not site.allows_origin("https://creditplus.kz.evil.com")
    assert not site.allows_origin("null")
    assert not site.allows_origin("http://localhost:*")
    assert not site.allows_origin("")


def test_shipped_default_site_accepts_local_development_origins(shipped):
    site = shipped.sites["default"]
    assert site.allows_origin("http://127.0.0.1:8000")
    assert site.allows_origin("https://localhost:8443")
    assert not site.allows_origin("https://creditplus.kz")


@pytest.mark.parametrize("language", LANGUAGES)
def test_banner_detail_is_the_first_layer_only(shipped, language):
    full = shipped.public_config("default", language)
    lean = shipped.public_config("default", language, detail="banner")
    assert lean["detail"] == "banner" and lean["language"] == language
    assert {k: lean[k] for k in ("site", "revision", "languages", "cookie_domain")} == {
        k: full[k] for k in ("site", "revision", "languages", "cookie_domain")
    }
    assert lean["texts"] == {k: full["texts"][k] for k in catalogue.BANNER_TEXT_KEYS}
    assert "purposes" not in lean and "hash" not in lean
    assert lean["operator"] == {"privacy_policy_url": full["operator"]["privacy_policy_url"]}
    assert [v["id"] for v in lean["vendors"]] == [v["id"] for v in full["vendors"]]
    for small, big in zip(lean["vendors"], full["vendors"], strict=True):
        # Gating and consent signals need these; descriptions, cookies and storage come later.
        assert small["purposes"] == big["purposes"]
        # Hosts its own domains gate alike are left out (tests/test_hosts.py holds it equal).
        assert set(small.get("hosts", [])) <= set(big["hosts"])
        assert small.get("domains", []) == big["domains"]
        assert small.get("paths", []) == big["paths"] and small.get("urls", []) == big["urls"]
        assert small.get("consent_api") == big["consent_api"]
        assert not {"company", "country", "description", "cookies", "storage"} & set(small)
    with pytest.raises(KeyError):
        shipped.public_config("default", language, detail="everything")


# -- domain families, shared-host paths and Consent Mode types ----------------------------------


def test_domains_urls_and_consent_mode_are_read_and_published(shipped):
    clarity = shipped.vendor("microsoft_clarity")
    assert clarity.domains == ("clarity.ms",)
    assert "www.google.com/g/collect" in shipped.vendor("google_analytics").urls
    assert shipped.vendor("google_tag_manager").consent_mode == ()
    assert shipped.vendor("google_analytics").consent_mode == ("analytics_storage",)
    full = {v["id"]: v for v in shipped.public_config("default", "ru")["vendors"]}
    lean = {v["id"]: v for v in shipped.public_config("default", "ru", "banner")["vendors"]}
    for config in (full, lean):
        assert config["vk"]["domains"] == ["vk.com", "vk.ru"]
        assert config["yandex_metrika"]["urls"] == ["cdn.jsdelivr.net/npm/yandex-metrica-watch/"]
        assert config["google_analytics"]["consent_mode"] == ["analytics_storage"]
    assert full["google_tag_manager"]["consent_mode"] == []
    assert "consent_mode" not in lean["google_tag_manager"]  # the lean layer leaves out empties


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("    domains: [https://clarity.ms]", "without the scheme"),
        ("    domains: [Clarity.ms]", "lowercase"),
        ("    urls: [www.google.com]", "host and path prefix"),
        ("    urls: [https://www.google.com/g/collect]", "without the scheme"),
        ("    urls: [WWW.google.com/g/collect]", "lowercase host name"),
    ],
)
def test_a_bad_domain_or_url_names_file_line_and_field(line, message):
    broken = MINIMAL.replace(
        "    beacon_hosts: [mc.yandex.kz]\n", f"    beacon_hosts: [mc.yandex.kz]\n{line}\n"
    )
    (problem,) = problems_of(broken)
    assert str(problem).startswith(f"vendors.yaml:{problem.line}: ")
    assert problem.line == line_of(broken, line.strip())
    key = line.split(":")[0].strip()
    assert problem.field == f"vendor 'yandex_metrika': {key}[0]"
    assert message in problem.message


def test_an_unknown_consent_mode_type_or_a_vendor_without_consent_mode_is_refused():
    typo = MINIMAL.replace(
        "    consent_api: null\n", "    consent_api: null\n    consent_mode: [analytics]\n"
    )
    (problem,) = problems_of(typo)
    assert problem.field == "vendor 'yandex_metrika': consent_mode[0]"
    assert "analytics_storage" in problem.message
    not_google = typo.replace("consent_mode: [analytics]", "consent_mode: [analytics_storage]")
    (problem,) = problems_of(not_google)
    assert problem.line == line_of(not_google, "consent_mode: [analytics_storage]")
    assert "google_consent_mode" in problem.message


def test_a_problem_says_where_it_is_as_data_too() -> None:
    """The admin puts each problem on its form field from `location`, never from the message: a
    problem inside a named vendor, an indexed one and a text all come back as keys and indexes."""
    text = DEFAULT_CATALOGUE.read_text(encoding="utf-8")
    broken = text.replace("{name: _ym_uid,", "{name: 'bad name',", 1).replace(
        "    accept_all: Принять все", "    accept_al: Принять все", 1
    )
    assert broken != text
    with pytest.raises(catalogue.CatalogueError) as caught:
        catalogue.loads(broken, "vendors.yaml")
    locations = {problem.location for problem in caught.value.problems}
    cookie = [loc for loc in locations if loc[:3] == ("vendors", "yandex_metrika", "cookies")]
    assert cookie and isinstance(cookie[0][3], int) and cookie[0][4:] == ("name",), locations
    assert any(loc[:2] == ("texts", "ru") for loc in locations), locations
    assert catalogue.Problem("f", 1, "vendors[3]: id", "m").location == ("vendors", 3, "id")
    assert catalogue.Problem("f", 0, "", "file not found").location == ()


def test_a_document_is_checked_as_data_by_the_same_rules_as_the_file() -> None:
    """Admin drafts are plain data: checked directly (no YAML text in between), with the same
    catalogue and hash as the file they came from, and every rule of the file loader."""
    import yaml

    text = REPO_CATALOGUE.read_text(encoding="utf-8")
    document = yaml.safe_load(text)
    assert catalogue.from_document(document).content_hash == catalogue.loads(text).content_hash
    document["vendors"][0]["purposes"] = ["no_such_purpose"]
    document["texts"]["kk"].pop("accept_all")
    with pytest.raises(catalogue.CatalogueError) as caught:
        catalogue.from_document(document, "draft")
    problems = caught.value.problems
    vendor_id = document["vendors"][0]["id"]
    assert any(p.location[:3] == ("vendors", vendor_id, "purposes") for p in problems), problems
    assert any(p.location == ("texts", "kk", "accept_all") for p in problems), problems
    assert all(p.line == 0 and str(p).startswith("draft: ") for p in problems)
