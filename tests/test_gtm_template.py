"""The GTM Community Template file: fresh against vendors.yaml, in the gallery's format, and
declaring every permission its code uses (tests/browser/test_gtm.py runs the code)."""

from __future__ import annotations

import json
import re

from integrations.gtm.build import TEMPLATE, consent_types, parse, render
from kelisim.domain.catalogue import load
from kelisim.settings import DEFAULT_CATALOGUE

SECTIONS = (
    "TERMS_OF_SERVICE",
    "INFO",
    "TEMPLATE_PARAMETERS",
    "SANDBOXED_JS_FOR_WEB_TEMPLATE",
    "WEB_PERMISSIONS",
    "TESTS",
)


def test_the_committed_template_is_fresh() -> None:
    catalogue = load(DEFAULT_CATALOGUE)
    assert TEMPLATE.read_text(encoding="utf-8") == render(catalogue), (
        "integrations/gtm/template.tpl is stale: run scripts/build-gtm-template and commit it"
    )


def test_it_has_the_gallery_sections_and_a_consent_type_per_vendor() -> None:
    parts = parse(TEMPLATE.read_text(encoding="utf-8"))
    assert set(SECTIONS) <= set(parts)
    info = json.loads(parts["INFO"])
    assert info["type"] == "TAG" and info["containerContexts"] == ["WEB"]
    json.loads(parts["TEMPLATE_PARAMETERS"])
    catalogue = load(DEFAULT_CATALOGUE)
    permissions = {
        p["instance"]["key"]["publicId"]: p for p in json.loads(parts["WEB_PERMISSIONS"])
    }
    declared = [
        item["mapValue"][0]["string"]
        for item in permissions["access_consent"]["instance"]["param"][0]["value"]["listItem"]
    ]
    assert declared == consent_types(catalogue)
    assert len([t for t in declared if t.startswith("kelisim_")]) == len(catalogue.vendors) == 14
    code = parts["SANDBOXED_JS_FOR_WEB_TEMPLATE"]
    for vendor_id in catalogue.vendor_ids:
        assert f'"{vendor_id}"' in code


def test_every_required_api_is_one_the_permissions_allow() -> None:
    parts = parse(TEMPLATE.read_text(encoding="utf-8"))
    used = set(re.findall(r"require\('([A-Za-z]+)'\)", parts["SANDBOXED_JS_FOR_WEB_TEMPLATE"]))
    needs = {
        "setDefaultConsentState": "access_consent",
        "updateConsentState": "access_consent",
        "callInWindow": "access_globals",
        "copyFromWindow": "access_globals",
        "copyFromDataLayer": "read_data_layer",
        "templateStorage": "access_template_storage",
        "logToConsole": "logging",
        "gtagSet": "write_data_layer",
        "getType": None,
    }
    assert used <= set(needs), used - set(needs)
    declared = {p["instance"]["key"]["publicId"] for p in json.loads(parts["WEB_PERMISSIONS"])}
    assert {needs[api] for api in used if needs[api]} <= declared
