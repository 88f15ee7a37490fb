"""The public JavaScript API as a site's own code meets it: `window.kelisim`, its state and the
`kelisim:consent` event are exactly what src/kelisim/web/static/kelisim.d.ts declares, and the
runtime leaves no properties of its own on the page's elements or requests."""

from __future__ import annotations

import re

import pytest

from kelisim.settings import STATIC_DIR
from tests.support.banner_site import Visit

pytestmark = pytest.mark.browser

DECLARATION = STATIC_DIR / "kelisim.d.ts"
METHOD, PROPERTY = "method", "property"


def interface(source: str, name: str) -> dict[str, str]:
    """The members of `interface name { … }` in a declaration file, each a method or a property."""
    code = re.sub(r"/\*.*?\*/|//[^\n]*", "", source, flags=re.S)
    found = re.search(r"\binterface\s+" + re.escape(name) + r"\s*\{(.*?)\n\}", code, re.S)
    assert found, f"kelisim.d.ts declares no interface {name}"
    members = {}
    for member in found[1].split(";"):
        parsed = re.match(r'\s*(?:"([^"]+)"|([A-Za-z_$][\w$]*))\s*(\(|\??\s*:)', member)
        if parsed:
            members[parsed[1] or parsed[2]] = METHOD if parsed[3] == "(" else PROPERTY
        else:
            assert not member.strip(), f"interface {name}: cannot read {member.strip()!r}"
    return members


def mismatches(declared: dict[str, str], exposed: dict[str, str]) -> list[str]:
    """What differs between a declaration and what the runtime exposes, both ways."""
    problems = [f"{name}: exposed, not declared" for name in exposed.keys() - declared.keys()]
    problems += [f"{name}: declared, not exposed" for name in declared.keys() - exposed.keys()]
    problems += [
        f"{name}: declared a {declared[name]}, exposed a {exposed[name]}"
        for name in declared.keys() & exposed.keys()
        if declared[name] != exposed[name]
    ]
    return sorted(problems)


# Each own member of an object as the declaration would call it: functions are methods.
MEMBERS_JS = """o => Object.fromEntries(Object.keys(o).map(k =>
  [k, typeof o[k] == 'function' ? 'method' : 'property']))"""


def test_window_kelisim_exposes_exactly_what_the_declaration_declares(visit: Visit) -> None:
    source = DECLARATION.read_text(encoding="utf-8")
    visit.open()
    exposed = visit.page.evaluate(f"({MEMBERS_JS})(window.kelisim)")
    assert mismatches(interface(source, "Kelisim"), exposed) == []
    # The declared global itself.
    assert interface(source, "Window") == {"kelisim": PROPERTY}


def test_the_state_and_the_consent_event_carry_exactly_the_declared_fields(visit: Visit) -> None:
    source = DECLARATION.read_text(encoding="utf-8")
    state = interface(source, "KelisimState")
    assert interface(source, "DocumentEventMap") == {"kelisim:consent": PROPERTY}
    assert "CustomEvent<KelisimState>" in source
    visit.open()
    before = visit.page.evaluate(f"({MEMBERS_JS})(kelisim.get())")
    assert mismatches(state, before) == []
    # What the event and an on('consent') listener get when the visitor accepts.
    event, heard = visit.page.evaluate(
        f"""() => new Promise(resolve => {{
          const members = {MEMBERS_JS};
          let event;
          document.addEventListener('kelisim:consent', e => {{ event = members(e.detail) }},
            {{once: true}});
          kelisim.on('consent', s => resolve([event, members(s)]));
          kelisim.acceptAll();
        }})"""
    )
    assert mismatches(state, event) == []
    assert mismatches(state, heard) == []
    assert mismatches(state, visit.page.evaluate(f"({MEMBERS_JS})(kelisim.get())")) == []


def test_a_declaration_missing_a_member_is_reported() -> None:
    """The negative control: the comparison catches a member the declaration drops (or one the
    runtime would drop), and a method declared as a property."""
    source = DECLARATION.read_text(encoding="utf-8")
    exposed = interface(source, "Kelisim")
    assert "withdraw" in exposed
    without = re.sub(r"\n\s*withdraw\(\): [^;]+;", "", source, count=1)
    assert without != source
    assert mismatches(interface(without, "Kelisim"), exposed) == ["withdraw: exposed, not declared"]
    assert mismatches(exposed, interface(without, "Kelisim")) == ["withdraw: declared, not exposed"]
    state = interface(source, "KelisimState")
    no_gpc = re.sub(r"\n\s*gpc: [^;]+;", "", source, count=1)
    assert mismatches(interface(no_gpc, "KelisimState"), state) == ["gpc: exposed, not declared"]
    as_property = source.replace("get(): KelisimState;", "get: KelisimState;", 1)
    assert mismatches(interface(as_property, "Kelisim"), exposed) == [
        "get: declared a property, exposed a method"
    ]


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
