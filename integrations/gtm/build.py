"""Builds integrations/gtm/template.tpl, the Google Tag Manager Community Template for Kelisim.

The template declares one consent type per vendor of the catalogue (`kelisim_<vendor id>`), and the
gallery's permission model makes each of them an explicit entry, so the list is generated from
vendors.yaml instead of kept by hand: `scripts/build-gtm-template` rewrites the file, and
tests/test_gtm_template.py fails while the committed template is stale. The sandboxed code itself
is integrations/gtm/sandboxed.js.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from kelisim.domain.catalogue import Catalogue, load
from kelisim.settings import DEFAULT_CATALOGUE

PROJECT_ROOT = Path(__file__).resolve().parents[1]

HERE = Path(__file__).resolve().parent
TEMPLATE = HERE / "template.tpl"
SANDBOXED = HERE / "sandboxed.js"
PREFIX = "kelisim_"
GOOGLE_TYPES = ("ad_storage", "analytics_storage", "ad_user_data", "ad_personalization")
# Which Kelisim vendors grant which Google consent type by default: Google Analytics alone sets
# analytics_storage (GTM, the loader, grants nothing but its own type); no vendor of the seed
# catalogue serves Google advertising, so the ad_* types stay denied until the table says otherwise.
DEFAULT_MAPPING = {"analytics_storage": "google_analytics"}


def _s(value: str) -> dict[str, Any]:
    return {"type": 1, "string": value}


def _b(value: bool) -> dict[str, Any]:
    return {"type": 8, "boolean": value}


def _map(entries: dict[str, dict[str, Any]]) -> dict[str, Any]:
    return {
        "type": 3,
        "mapKey": [_s(key) for key in entries],
        "mapValue": list(entries.values()),
    }


def _permission(public_id: str, params: list[dict[str, Any]]) -> dict[str, Any]:
    instance: dict[str, Any] = {"key": {"publicId": public_id, "versionId": "1"}}
    instance["param"] = params
    return {"instance": instance, "clientAnnotations": {"isEditedByUser": True}, "isRequired": True}


def consent_types(catalogue: Catalogue) -> list[str]:
    return [*GOOGLE_TYPES, *(PREFIX + vendor_id for vendor_id in catalogue.vendor_ids)]


def info() -> dict[str, Any]:
    return {
        "type": "TAG",
        "id": "cvt_temp_public_id",
        "version": 1,
        "securityGroups": [],
        "displayName": "Kelisim Consent Mode",
        "categories": ["TAG_MANAGEMENT", "UTILITY"],
        "brand": {"id": "brand_dummy", "displayName": "Kelisim"},
        "description": "Consent Mode v2 defaults and updates from Kelisim, and one consent type "
        "per Kelisim vendor (kelisim_<vendor id>) for tags' additional consent checks.",
        "containerContexts": ["WEB"],
    }


def parameters(catalogue: Catalogue) -> list[dict[str, Any]]:
    vendor_list = ", ".join(catalogue.vendor_ids)
    return [
        {
            "type": "TEXT",
            "name": "waitForUpdate",
            "displayName": "Wait for update (milliseconds)",
            "simpleValueType": True,
            "defaultValue": 500,
            "valueValidators": [{"type": "NON_NEGATIVE_NUMBER"}],
            "help": "How long tags that need consent wait for Kelisim's choice.",
        },
        {
            "type": "SIMPLE_TABLE",
            "name": "googleMapping",
            "displayName": "Google consent types granted by Kelisim vendors",
            "simpleTableColumns": [
                {
                    "defaultValue": "",
                    "displayName": "Google consent type",
                    "name": "consentType",
                    "type": "SELECT",
                    "selectItems": [{"value": t, "displayValue": t} for t in GOOGLE_TYPES],
                },
                {
                    "defaultValue": "",
                    "displayName": "Kelisim vendor ids (comma-separated)",
                    "name": "vendors",
                    "type": "TEXT",
                },
            ],
            "defaultValue": [
                {"consentType": key, "vendors": value} for key, value in DEFAULT_MAPPING.items()
            ],
            "help": f"A type is granted when any vendor listed for it is. Vendors: {vendor_list}.",
        },
        {
            "type": "CHECKBOX",
            "name": "debug",
            "checkboxText": "Log consent updates to the console (preview mode)",
            "simpleValueType": True,
        },
    ]


def permissions(catalogue: Catalogue) -> list[dict[str, Any]]:
    types = consent_types(catalogue)
    globals_ = [("kelisim", True, False, False), ("kelisim.get", False, False, True)]
    globals_.append(("kelisim.on", False, False, True))
    return [
        _permission(
            "access_consent",
            [
                {
                    "key": "consentTypes",
                    "value": {
                        "type": 2,
                        "listItem": [
                            _map({"consentType": _s(t), "read": _b(True), "write": _b(True)})
                            for t in types
                        ],
                    },
                }
            ],
        ),
        _permission(
            "access_globals",
            [
                {
                    "key": "keys",
                    "value": {
                        "type": 2,
                        "listItem": [
                            _map(
                                {
                                    "key": _s(key),
                                    "read": _b(read),
                                    "write": _b(write),
                                    "execute": _b(execute),
                                }
                            )
                            for key, read, write, execute in globals_
                        ],
                    },
                }
            ],
        ),
        _permission(
            "read_data_layer",
            [
                {"key": "allowedKeys", "value": _s("specific")},
                {"key": "keyPatterns", "value": {"type": 2, "listItem": [_s("kelisim")]}},
            ],
        ),
        _permission("access_template_storage", []),
        _permission("logging", [{"key": "environments", "value": _s("debug")}]),
        _permission(
            "write_data_layer",
            [{"key": "keyPatterns", "value": {"type": 2, "listItem": [_s("ads_data_redaction")]}}],
        ),
    ]


TESTS = """scenarios:
- name: Defaults deny every type and wait for an update
  code: |-
    runCode(mockData);
    assertApi('setDefaultConsentState').wasCalled();
    assertApi('gtmOnSuccess').wasCalled();
- name: Only Metrika grants only kelisim_yandex_metrika
  code: |-
    mock('copyFromDataLayer', (key) => {
      return key === 'kelisim' ? {granted: ['yandex_metrika']} : undefined;
    });
    runCode(mockData);
    assertApi('updateConsentState').wasCalledWith(EXPECTED_ONLY_METRIKA);
setup: |-
    const mockData = {
      waitForUpdate: 500,
      googleMapping: [{consentType: 'analytics_storage', vendors: 'google_analytics'}]
    };
"""


def _tests(catalogue: Catalogue) -> str:
    expected = {PREFIX + vendor_id: "denied" for vendor_id in catalogue.vendor_ids}
    expected[PREFIX + "yandex_metrika"] = "granted"
    for google_type in GOOGLE_TYPES:
        expected[google_type] = "denied"
    return TESTS.replace("EXPECTED_ONLY_METRIKA", json.dumps(expected, separators=(",", ":")))


def render(catalogue: Catalogue) -> str:
    code = SANDBOXED.read_text(encoding="utf-8").replace(
        "__KELISIM_VENDORS__", json.dumps(list(catalogue.vendor_ids)), 1
    )
    sections = [
        ("TERMS_OF_SERVICE", "By creating or modifying this file you agree to Google Tag Manager's "
         "Community Template Gallery Developer Terms of Service available at\n"
         "https://developers.google.com/tag-manager/gallery-tos (or such other URL as Google may "
         "provide), as modified from time to time."),
        ("INFO", json.dumps(info(), indent=2)),
        ("TEMPLATE_PARAMETERS", json.dumps(parameters(catalogue), indent=2)),
        ("SANDBOXED_JS_FOR_WEB_TEMPLATE", code.rstrip()),
        ("WEB_PERMISSIONS", json.dumps(permissions(catalogue), indent=2)),
        ("TESTS", _tests(catalogue).rstrip()),
        ("NOTES", f"Generated from vendors.yaml revision {catalogue.revision} by "
         "scripts/build-gtm-template. Setup: docs/gtm.md."),
    ]  # fmt: skip
    return "".join(f"___{name}___\n\n{body}\n\n\n" for name, body in sections)


def parse(text: str) -> dict[str, str]:
    """The sections of a .tpl file by name (what the gallery and the test harness read)."""
    parts: dict[str, str] = {}
    name = None
    lines: list[str] = []
    for line in text.splitlines():
        if line.startswith("___") and line.endswith("___") and len(line) > 6:
            if name is not None:
                parts[name] = "\n".join(lines).strip()
            name, lines = line.strip("_"), []
        else:
            lines.append(line)
    if name is not None:
        parts[name] = "\n".join(lines).strip()
    return parts


def main() -> int:
    catalogue = load(DEFAULT_CATALOGUE)
    TEMPLATE.write_text(render(catalogue), encoding="utf-8")
    print(f"build-gtm-template: wrote {TEMPLATE.relative_to(PROJECT_ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
