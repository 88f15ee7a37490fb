"""HTTP behaviour of /cmp.js, /cmp-settings.js and /cmp.css: types, caching, CORS, what the served
scripts hold, the config embedded in cmp.js, and that the committed builds are of today's
sources."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from kelisim.web.banner import (
    BOOTSTRAP_MINIFIED,
    BOOTSTRAP_SOURCES,
    CONFIG_PLACEHOLDER,
    CSS_PLACEHOLDER,
    IMMUTABLE_MAX_AGE,
    MAX_AGE,
    MINIFIED,
    RULES_PLACEHOLDER,
    RUNTIME_PARTS,
    SETTINGS_MINIFIED,
    SETTINGS_SOURCES,
    STALE_WHILE_REVALIDATE,
    STATIC_DIR,
    compact_css,
    compact_js,
    recorded_digests,
    source_digests,
)


@pytest.fixture
def database_url(sqlite_url: str) -> str:
    """Serving the runtime touches no consent data: one database kind is enough."""
    return sqlite_url


def test_cmp_js_is_served_public_with_a_strong_etag(client) -> None:
    response = client.get("/cmp.js")
    assert response.status_code == 200
    assert response.content_type == "text/javascript; charset=utf-8"
    etag, weak = response.get_etag()
    assert etag and not weak
    assert response.headers["Cache-Control"] == (
        f"public, max-age={MAX_AGE}, stale-while-revalidate={STALE_WHILE_REVALIDATE}"
    )
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Cross-Origin-Resource-Policy"] == "cross-origin"


def embedded(body: str) -> dict | None:
    """The lean config embedded in a served cmp.js, or None."""
    start = body.find('{"detail":"banner"')
    if start < 0:
        return None
    return json.JSONDecoder().raw_decode(body, start)[0]


def test_cmp_js_carries_the_stylesheet_and_no_comment_lines(client) -> None:
    body = client.get("/cmp.js").get_data(as_text=True)
    css = client.get("/cmp.css").get_data(as_text=True)
    assert CSS_PLACEHOLDER.strip('"') not in body and CONFIG_PLACEHOLDER not in body
    assert css == compact_css((STATIC_DIR / "cmp.css").read_text(encoding="utf-8"))
    assert css.startswith("#kelisim,#kelisim-f{") and css[:200] in body
    assert not [line for line in body.splitlines() if line.lstrip().startswith(("//", "/*"))]
    assert "sha256:" not in body  # the build header is not served


def test_committed_cmp_min_js_is_built_from_todays_sources() -> None:
    """After editing a part of src/kelisim/web/static/cmp/ or cmp.css run scripts/build-cmp, and
    commit the result: the header names each part's sha256."""
    minified = (STATIC_DIR / MINIFIED).read_text(encoding="utf-8")
    assert recorded_digests(minified) == source_digests(), (
        "src/kelisim/web/static/cmp.min.js is stale"
    )
    assert minified.count(CONFIG_PLACEHOLDER) == 1


def test_every_part_of_the_runtime_is_built_and_named_in_the_header() -> None:
    """A part left out of RUNTIME_PARTS would be missing from /cmp.js and from the staleness
    check alike."""
    parts = {f"cmp/{path.name}" for path in (STATIC_DIR / "cmp").glob("*.js")}
    assert parts == set(RUNTIME_PARTS)
    header = (STATIC_DIR / MINIFIED).read_text(encoding="utf-8").split("\n", 1)[0]
    assert all(f" {part} sha256:" in header for part in RUNTIME_PARTS)


def test_committed_cmp_settings_min_js_is_built_from_todays_sources() -> None:
    """After editing src/kelisim/web/static/cmp-settings.js or cmp-settings.css run
    scripts/build-cmp, and commit the result."""
    minified = (STATIC_DIR / SETTINGS_MINIFIED).read_text(encoding="utf-8")
    digests = source_digests(sources=SETTINGS_SOURCES)
    assert recorded_digests(minified) == digests, (
        "src/kelisim/web/static/cmp-settings.min.js is stale"
    )


def test_the_settings_layer_is_served_apart_under_the_url_cmp_js_names(client) -> None:
    """The second layer's code is not in /cmp.js: cmp.js names its versioned URL, which is cached
    for a year, in every encoding, for every site and language alike."""
    plain = client.get("/cmp-settings.js", headers={"Accept-Encoding": "identity"})
    assert plain.status_code == 200
    assert plain.content_type == "text/javascript; charset=utf-8"
    assert plain.headers["Access-Control-Allow-Origin"] == "*"
    assert plain.headers["Cache-Control"] == (
        f"public, max-age={MAX_AGE}, stale-while-revalidate={STALE_WHILE_REVALIDATE}"
    )
    code = plain.get_data(as_text=True)
    assert "sha256:" not in code and "__KELISIM_CSS__" not in code
    assert "#kelisim .k-p{" in code and "kelisim.settings" in code
    etag = plain.get_etag()[0]
    for language in ("ru", "kk", "en"):
        script = client.get(f"/cmp.js?site=default&lang={language}").get_data(as_text=True)
        assert f"?v={etag}" in script
        assert "kelisim.settings" in script and "#kelisim .k-p{" not in script
        assert "deleteDatabase" not in script  # deleting is the settings layer's too
    pinned = client.get(f"/cmp-settings.js?v={etag}", headers={"Accept-Encoding": "br"})
    assert pinned.headers["Content-Encoding"] == "br"
    assert pinned.headers["Cache-Control"] == f"public, max-age={IMMUTABLE_MAX_AGE}, immutable"
    assert "Accept-Encoding" in pinned.headers["Vary"]
    import brotli

    assert brotli.decompress(pinned.get_data()) == plain.get_data()
    assert pinned.get_etag()[0] == etag + "-br"
    gz = client.get("/cmp-settings.js", headers={"Accept-Encoding": "gzip"})
    assert gz.headers["Content-Encoding"] == "gzip" and gz.get_etag()[0] == etag + "-gz"
    again = client.get(
        f"/cmp-settings.js?v={etag}",
        headers={"Accept-Encoding": "br", "If-None-Match": f'"{etag}-br"'},
    )
    assert again.status_code == 304 and again.get_data() == b""


def test_committed_bootstrap_min_js_is_built_from_todays_gate() -> None:
    """After editing src/kelisim/web/static/gate.js run scripts/build-cmp, and commit both built
    files."""
    minified = (STATIC_DIR / BOOTSTRAP_MINIFIED).read_text(encoding="utf-8")
    digests = source_digests(sources=BOOTSTRAP_SOURCES)
    assert recorded_digests(minified) == digests, "src/kelisim/web/static/bootstrap.min.js is stale"
    assert minified.count(RULES_PLACEHOLDER) == 1
    assert CONFIG_PLACEHOLDER not in minified and "kelisim.gate" in minified


def test_cmp_js_starts_with_the_gate_unless_the_page_has_the_bootstrap(client) -> None:
    whole = client.get("/cmp.js?site=default&lang=ru").get_data(as_text=True)
    lean = client.get("/cmp.js?site=default&lang=ru&gate=0").get_data(as_text=True)
    gate = client.get("/bootstrap.js").get_data(as_text=True)
    assert "kelisim.gate" in whole and whole.index("kelisim.gate") < whole.index("kelisim:consent")
    assert lean.count("kelisim.gate") == 1  # only where cmp.js looks the gate up
    assert len(whole) - len(lean) > len(gate) // 2
    assert embedded(lean) == embedded(whole)


def test_bootstrap_js_embeds_every_vendors_rules_and_is_cached_like_cmp_js(client) -> None:
    response = client.get("/bootstrap.js?site=default")
    assert response.status_code == 200
    assert response.content_type == "text/javascript; charset=utf-8"
    cache = response.headers["Cache-Control"]
    assert f"max-age={MAX_AGE}" in cache and "public" in cache
    assert f"stale-while-revalidate={STALE_WHILE_REVALIDATE}" in cache
    assert response.headers["Vary"] and "Accept-Encoding" in response.headers["Vary"]
    body = response.get_data(as_text=True)
    assert RULES_PLACEHOLDER not in body and "sha256:" not in body
    start = body.index('[{"id":')
    rules = {entry["id"]: entry for entry in json.JSONDecoder().raw_decode(body, start)[0]}
    assert "clarity.ms" in rules["microsoft_clarity"]["domains"]
    assert "www.google.com/g/collect" in rules["google_analytics"]["urls"]
    assert rules["matomo"]["paths"] == ["/matomo.js", "/matomo.php"]
    assert "userx" not in rules  # no known host: nothing to match
    etag = response.get_etag()[0]
    assert client.get("/bootstrap.js", headers={"If-None-Match": f'"{etag}"'}).status_code == 304
    pinned = client.get(f"/bootstrap.js?site=default&v={etag}")
    assert pinned.headers["Cache-Control"] == f"public, max-age={IMMUTABLE_MAX_AGE}, immutable"


@pytest.mark.parametrize("language", ["ru", "kk", "en"])
def test_cmp_js_embeds_the_lean_config_of_the_site_and_language(client, language) -> None:
    response = client.get(f"/cmp.js?site=default&lang={language}")
    config = embedded(response.get_data(as_text=True))
    assert config is not None and config["language"] == language and config["site"] == "default"
    lean = client.get(f"/api/v1/config?site=default&lang={language}&detail=banner").get_json()
    assert config == lean
    assert "Accept-Language" not in response.headers.get("Vary", "")
    assert set(config["texts"]) >= {"title", "description", "accept_all", "reject_all", "settings"}
    assert "receipt_title" not in config["texts"] and "save" not in config["texts"]
    for vendor in config["vendors"]:
        allowed = {"id", "purposes", "hosts", "domains", "urls", "paths", "consent_api"}
        assert set(vendor) <= allowed | {"consent_mode"}


def test_without_lang_the_browser_language_picks_and_varies(client) -> None:
    english = client.get("/cmp.js", headers={"Accept-Language": "en-US,en;q=0.9"})
    assert embedded(english.get_data(as_text=True))["language"] == "en"
    assert "Accept-Language" in english.headers["Vary"]
    fallback = client.get("/cmp.js?lang=de", headers={"Accept-Language": "de"})
    assert embedded(fallback.get_data(as_text=True))["language"] == "ru"  # the default language
    russian = client.get("/cmp.js?lang=ru")
    assert english.get_etag()[0] != russian.get_etag()[0]


def test_an_unknown_site_gets_the_runtime_without_a_config(client) -> None:
    body = client.get("/cmp.js?site=nosuchsite&lang=ru").get_data(as_text=True)
    assert embedded(body) is None and "kelisim" in body


def test_config_detail_banner_is_the_lean_first_layer_and_full_stays_the_default(client) -> None:
    full = client.get("/api/v1/config?site=default&lang=ru").get_json()
    assert full == client.get("/api/v1/config?site=default&lang=ru&detail=full").get_json()
    assert "detail" not in full and full["vendors"][0]["cookies"] is not None
    lean = client.get("/api/v1/config?site=default&lang=ru&detail=banner")
    assert lean.status_code == 200 and lean.get_json()["detail"] == "banner"
    assert len(lean.get_data()) * 4 < len(client.get("/api/v1/config?lang=ru").get_data())
    bad = client.get("/api/v1/config?site=default&detail=everything")
    assert bad.status_code == 400 and bad.get_json()["errors"][0]["field"] == "detail"


def test_a_matching_etag_gets_304_without_a_body(client) -> None:
    etag = client.get("/cmp.js").get_etag()[0]
    again = client.get("/cmp.js", headers={"If-None-Match": f'"{etag}"'})
    assert again.status_code == 304
    assert again.get_data() == b""
    assert again.get_etag()[0] == etag


def test_a_versioned_url_is_cached_for_a_year(client) -> None:
    etag = client.get("/cmp.js").get_etag()[0]
    pinned = client.get(f"/cmp.js?v={etag}")
    assert pinned.headers["Cache-Control"] == f"public, max-age={IMMUTABLE_MAX_AGE}, immutable"
    stale = client.get("/cmp.js?v=0000")
    assert stale.headers["Cache-Control"].startswith(f"public, max-age={MAX_AGE},")


def test_cmp_css_is_served_for_sites_that_self_host_the_script(client) -> None:
    response = client.get("/cmp.css")
    assert response.status_code == 200
    assert response.content_type == "text/css; charset=utf-8"
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert response.get_etag()[0] != client.get("/cmp.js").get_etag()[0]
    assert client.head("/cmp.css").status_code == 200


def test_only_get_is_allowed(client) -> None:
    assert client.post("/cmp.js").status_code == 405


def test_an_edited_runtime_gets_a_new_etag(app, tmp_path: Path) -> None:
    static = tmp_path / "static"
    shutil.copytree(STATIC_DIR, static)
    app.config["KELISIM_STATIC_DIR"] = str(static)
    client = app.test_client()
    before = client.get("/cmp.js").get_etag()[0]
    script = static / MINIFIED
    script.write_text(script.read_text(encoding="utf-8") + ";0;\n", encoding="utf-8")
    after = client.get("/cmp.js")
    assert after.get_etag()[0] != before
    assert after.get_data(as_text=True).endswith(";0;\n")


def test_compacting_keeps_code_and_drops_only_whole_comment_lines() -> None:
    source = "  // a note\n  let a = 'http://x//y'; // kept: not a whole line\n\n    f(a);\n"
    assert compact_js(source) == "let a = 'http://x//y'; // kept: not a whole line\nf(a);\n"


@pytest.mark.parametrize("language", ["ru", "kk", "en"])
def test_cmp_js_is_sent_brotli_or_gzip_as_the_client_accepts(client, language) -> None:
    import gzip

    import brotli

    url = f"/cmp.js?site=default&lang={language}"
    plain = client.get(url, headers={"Accept-Encoding": "identity"})
    assert "Content-Encoding" not in plain.headers
    assert "Accept-Encoding" in plain.headers["Vary"]
    br = client.get(url, headers={"Accept-Encoding": "gzip, deflate, br"})
    assert br.headers["Content-Encoding"] == "br"
    assert brotli.decompress(br.get_data()) == plain.get_data()
    assert len(br.get_data()) < len(plain.get_data()) / 2
    gz = client.get(url, headers={"Accept-Encoding": "gzip;q=1, br;q=0"})
    assert gz.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(gz.get_data()) == plain.get_data()
    etags = {r.get_etag()[0] for r in (plain, br, gz)}
    assert len(etags) == 3, "each encoding is its own representation with its own ETag"
    for response in (br, gz):
        assert "Accept-Encoding" in response.headers["Vary"]
        again = client.get(
            url,
            headers={
                "Accept-Encoding": response.request.headers["Accept-Encoding"],
                "If-None-Match": f'"{response.get_etag()[0]}"',
            },
        )
        assert again.status_code == 304
    # A cached brotli copy does not satisfy a client that cannot read brotli.
    stale = client.get(
        url, headers={"Accept-Encoding": "identity", "If-None-Match": f'"{br.get_etag()[0]}"'}
    )
    assert stale.status_code == 200 and stale.get_data() == plain.get_data()


def test_the_versioned_url_names_the_content_in_every_encoding(client) -> None:
    etag = client.get("/cmp.js", headers={"Accept-Encoding": "identity"}).get_etag()[0]
    pinned = client.get(f"/cmp.js?v={etag}", headers={"Accept-Encoding": "br"})
    assert pinned.headers["Content-Encoding"] == "br"
    assert pinned.headers["Cache-Control"] == f"public, max-age={IMMUTABLE_MAX_AGE}, immutable"


def test_cmp_css_is_compressed_too(client) -> None:
    response = client.get("/cmp.css", headers={"Accept-Encoding": "br"})
    assert response.headers["Content-Encoding"] == "br"
    assert "Accept-Encoding" in response.headers["Vary"]


def test_the_receipt_stylesheet_is_compressed_with_its_own_etag(client) -> None:
    url = "/consent-static/receipt.css"
    plain = client.get(url, headers={"Accept-Encoding": "identity"})
    br = client.get(url, headers={"Accept-Encoding": "br"})
    assert plain.status_code == br.status_code == 200
    assert "Content-Encoding" not in plain.headers and br.headers["Content-Encoding"] == "br"
    import brotli

    assert brotli.decompress(br.get_data()) == plain.get_data()
    plain.close()  # the identity answer streams the file itself
    assert br.get_etag()[0] != plain.get_etag()[0]
    assert "Accept-Encoding" in br.headers["Vary"]
    again = client.get(
        url, headers={"Accept-Encoding": "br", "If-None-Match": f'"{br.get_etag()[0]}"'}
    )
    assert again.status_code == 304
