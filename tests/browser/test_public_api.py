"""The runtime as a site's own code meets it: it leaves no properties of its own on the page's
elements or requests."""

from __future__ import annotations

import pytest

from tests.support.banner_site import Visit

pytestmark = pytest.mark.browser


# Every element of the page, and a vendor request the gate holds, as the page's code sees them
# (a select's options are its indexed properties: the browser's, not anyone's flags).
OWN_PROPERTIES_JS = """() => {
  const found = {};
  for (const e of document.querySelectorAll('*')) {
    const own = Object.getOwnPropertyNames(e).filter(k => !/^\\d+$/.test(k));
    if (own.length) found[e.outerHTML.slice(0, 80)] = own;
  }
  const request = new XMLHttpRequest();
  request.open('GET', 'https://mc.yandex.ru/watch/1');
  request.send();
  const own = Object.getOwnPropertyNames(request);
  if (own.length) found['XMLHttpRequest'] = own;
  return found;
}"""


@pytest.mark.parametrize("path", ["/", "/unmarked"])
def test_the_runtime_leaves_no_properties_on_the_pages_elements_or_requests(
    visit: Visit, path: str
) -> None:
    """Page code (and a scanner) enumerating an element or a request sees only its own: what the
    gate and the runtime know of each is kept inside their closure. Both pages: inert markup the
    runtime activates, and unmarked snippets the gate holds and releases."""
    visit.open(path=path)
    held = visit.page.evaluate(OWN_PROPERTIES_JS)
    visit.page.evaluate("kelisim.acceptAll()")
    visit.settle()
    assert (held, visit.page.evaluate(OWN_PROPERTIES_JS)) == ({}, {})
