"""The GTM Community Template's sandboxed code, run in a GTM-like sandbox (gtm_sandbox.js) in
Chromium beside the real Kelisim runtime: with Kelisim's choice "only Metrika" only the Metrika tag
of the container fires; granting only GTM fires nothing; accepting all fires every tag."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from kelisim.domain.catalogue import load
from tests.support.banner_site import CATALOGUE, Kelisim, serve

PROJECT_ROOT = Path(__file__).resolve().parents[2]


pytestmark = pytest.mark.browser

HERE = Path(__file__).resolve().parent
TEMPLATE = PROJECT_ROOT / "integrations" / "gtm" / "template.tpl"
TEMPLATE_DATA = {
    "waitForUpdate": 500,
    "googleMapping": [{"consentType": "analytics_storage", "vendors": "google_analytics"}],
}


def _container_tags() -> list[dict]:
    """One tag per vendor that lives inside the container (all but GTM itself), each with its
    vendor's type as the additional consent check; GA4 also needs analytics_storage."""
    tags = []
    for vendor in load(CATALOGUE).vendors:
        if vendor.id == "google_tag_manager":
            continue
        consent = [f"kelisim_{vendor.id}"]
        if vendor.id == "google_analytics":
            consent.append("analytics_storage")
        tags.append(
            {
                "name": vendor.name,
                "consent": consent,
                "triggers": ["gtm.js", "kelisim_consent"],
                "once": True,
            }
        )
    return tags


def _page(kelisim_base: str) -> str:
    return f"""<!doctype html>
<html lang="ru"><head><meta charset="utf-8"><title>Кредит</title>
<script src="{kelisim_base}/cmp.js?site=default&amp;lang=ru" data-site="default" async></script>
<script src="/gtm_sandbox.js"></script>
<script>
  window.container = new GtmSandbox.Container({{tags: {json.dumps(_container_tags())}}});
  window.kelisimTemplate = container.addTemplate(
    {json.dumps(TEMPLATE.read_text(encoding="utf-8"))},
    {json.dumps(TEMPLATE_DATA)},
    ['gtm.init_consent', 'kelisim_consent']);
  container.start();
</script></head><body><h1>Микрозайм онлайн</h1></body></html>"""


@pytest.fixture(scope="module")
def gtm_site(kelisim: Kelisim) -> Iterator[str]:
    harness = (HERE / "gtm_sandbox.js").read_bytes()

    def app(environ, start_response):
        path = environ["PATH_INFO"]
        if path == "/gtm_sandbox.js":
            start_response("200 OK", [("Content-Type", "text/javascript")])
            return [harness]
        if path == "/":
            start_response("200 OK", [("Content-Type", "text/html; charset=utf-8")])
            return [_page(kelisim.base).encode()]
        start_response("404 Not Found", [("Content-Type", "text/plain")])
        return [b"no"]

    server, port = serve(app)
    yield f"http://127.0.0.1:{port}/"
    server.shutdown()


@pytest.fixture(scope="module")
def browser(banner_playwright):
    from kelisim.scanner.browser import launch

    chromium = launch(banner_playwright)
    yield chromium
    chromium.close()


def _open(context, url: str):
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(url)
    page.wait_for_function("window.kelisim && window.container", timeout=20_000)
    page.evaluate("window.kelisim.ready.then(() => true)")
    return page, errors


def _choose(page, script: str) -> list[str]:
    page.evaluate(script)
    page.wait_for_function(
        "container.log.some(e => e[0] === 'event' && e[1] === 'kelisim_consent')", timeout=20_000
    )
    page.wait_for_timeout(300)  # any later (wrong) firing would land now
    return page.evaluate("container.fired")


def _state(page, consent_type: str) -> str | None:
    return page.evaluate(f"container.state({json.dumps(consent_type)})")


def test_only_metrika_fires_only_the_metrika_tag(browser, gtm_site) -> None:
    context = browser.new_context()
    try:
        page, errors = _open(context, gtm_site)
        assert page.evaluate("container.fired") == []
        assert page.evaluate("kelisimTemplate.runs") == 1
        assert page.evaluate("container.waitForUpdate") == 500
        assert _state(page, "kelisim_yandex_metrika") == "denied"

        fired = _choose(page, "kelisim.set({yandex_metrika: true})")
        assert fired == ["Яндекс Метрика (Yandex Metrica)"]
        assert _state(page, "kelisim_yandex_metrika") == "granted"
        for other in ("kelisim_google_analytics", "kelisim_vk", "analytics_storage", "ad_storage"):
            assert _state(page, other) == "denied", other
        blocked = page.evaluate("container.blocked.map(b => b.tag)")
        assert "Google Analytics 4" in blocked and "VK Pixel (VK Retargeting)" in blocked

        # The next page view: Kelisim applies the stored choice, the template hears it again.
        page.reload()
        page.wait_for_function("window.kelisim && window.container", timeout=20_000)
        page.wait_for_function("container.fired.length > 0", timeout=20_000)
        page.wait_for_timeout(300)
        assert page.evaluate("container.fired") == ["Яндекс Метрика (Yandex Metrica)"]
        assert not errors, errors
        assert not page.evaluate(
            "container.log.filter(e => e[0] === 'template' && e[1] === 'error')"
        )
    finally:
        context.close()


def test_granting_only_gtm_fires_nothing(browser, gtm_site) -> None:
    context = browser.new_context()
    try:
        page, _ = _open(context, gtm_site)
        assert _choose(page, "kelisim.set({google_tag_manager: true})") == []
        assert _state(page, "kelisim_google_tag_manager") == "granted"
        assert _state(page, "analytics_storage") == "denied"
    finally:
        context.close()


def test_accepting_all_fires_every_tag(browser, gtm_site) -> None:
    context = browser.new_context()
    try:
        page, _ = _open(context, gtm_site)
        fired = _choose(page, "kelisim.acceptAll()")
        assert sorted(fired) == sorted(tag["name"] for tag in _container_tags())
        assert _state(page, "analytics_storage") == "granted"
        assert _state(page, "ad_storage") == "denied"  # no Google advertising vendor is declared
    finally:
        context.close()


def test_the_sandbox_enforces_the_templates_permissions(browser, gtm_site) -> None:
    """A template whose code reaches past its declared permissions fails in the sandbox, so the
    tests above would notice a template that needs more than it declares."""
    context = browser.new_context()
    try:
        page, _ = _open(context, gtm_site)
        error = page.evaluate(
            """() => {
              const text = '___SANDBOXED_JS_FOR_WEB_TEMPLATE___\\n' +
                "require('updateConsentState')({secret_type: 'granted'});\\n" +
                '___WEB_PERMISSIONS___\\n[]\\n';
              const c = container;
              const t = c.addTemplate(text, {}, ['never']);
              try { t.run(); return null } catch (e) { return String(e.message) }
            }"""
        )
        assert error == "permission denied: updateConsentState secret_type"
        window_error = page.evaluate(
            """() => {
              const text = '___SANDBOXED_JS_FOR_WEB_TEMPLATE___\\nwindow.x = 1;\\n' +
                '___WEB_PERMISSIONS___\\n[]\\n';
              const t = container.addTemplate(text, {}, ['never']);
              try { t.run(); return null } catch (e) { return e.constructor.name }
            }"""
        )
        assert window_error == "TypeError"
    finally:
        context.close()
