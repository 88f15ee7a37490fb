"""HTTP behaviour of /cmp.js and /cmp.css: types, caching, CORS, what the served script holds."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from cmp.banner import CSS_PLACEHOLDER, IMMUTABLE_MAX_AGE, MAX_AGE, STATIC_DIR, compact_js


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
    assert response.headers["Cache-Control"] == f"public, max-age={MAX_AGE}"
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Cross-Origin-Resource-Policy"] == "cross-origin"


def test_cmp_js_carries_the_stylesheet_and_no_comment_lines(client) -> None:
    body = client.get("/cmp.js").get_data(as_text=True)
    css = client.get("/cmp.css").get_data(as_text=True)
    assert CSS_PLACEHOLDER not in body
    assert "#kelisim{" in css and '"#kelisim{' in body
    assert not [line for line in body.splitlines() if line.lstrip().startswith("//")]


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
    assert stale.headers["Cache-Control"] == f"public, max-age={MAX_AGE}"


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
    script = static / "cmp.js"
    script.write_text(script.read_text(encoding="utf-8") + "\n// changed\n;\n", encoding="utf-8")
    after = client.get("/cmp.js")
    assert after.get_etag()[0] != before
    assert after.get_data(as_text=True).endswith(";\n")


def test_compacting_keeps_code_and_drops_only_whole_comment_lines() -> None:
    source = "  // a note\n  let a = 'http://x//y'; // kept: not a whole line\n\n    f(a);\n"
    assert compact_js(source) == "let a = 'http://x//y'; // kept: not a whole line\nf(a);\n"
