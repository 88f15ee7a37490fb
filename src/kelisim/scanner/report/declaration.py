"""The cookie declaration: the table a privacy-policy page embeds, generated from what the scan saw.

Generated, not hand-written, so the policy lists what the site really stores: every cookie and
storage key observed in any state, with its vendor, purpose, party, domain and the longest lifetime
the site asked for. Written as HTML (a fragment to paste), CSV and JSON.

Keys a vendor writes under a pattern (Amplitude's `AMP_TEST_<timestamp>`, Metrica's
`_ym<counter>_lsid`) are one row named by the pattern (`AMP_TEST_*`): a vendor's declared prefix
wins, and a key ending in a long run of digits or hex (a time or a random id) is collapsed on the
part before it, so the table lists what a visitor is told about, not every value a test key took.
"""

from __future__ import annotations

import csv
import html
import io
import json
import re
from pathlib import Path
from typing import Any

from kelisim.scanner.knowledge import site_of
from kelisim.scanner.model import Observation

CMP_LABEL = {
    "vendor": "kelisim",
    "vendor_name": "Kelisim (consent manager)",
    "purposes": "necessary",
}
FIELDS = (
    "name", "type", "vendor", "vendor_name", "company", "country", "purposes", "party", "domain",
    "lifetime", "lifetime_seconds", "declared", "names_seen",
)  # fmt: skip
# A suffix that is a value, not a name: 8+ digits (a time in ms or s) or 12+ hex characters.
RANDOM_SUFFIX = re.compile(r"^(?P<stem>.*?[_\-.:]?)(?:\d{8,}|[0-9a-fA-F]{12,})$")


def pattern_name(name: str, vendor: Any, kind: str) -> str:
    """The row name for `name`: the longest declared prefix of its vendor, else the name with a
    random suffix replaced by `*`, else the name itself."""
    declared: list[tuple[str, str]] = []
    if vendor is not None:
        if kind == "cookie":
            declared = [(c.name, c.match) for c in vendor.cookies]
        else:
            declared = [(s.key, s.match) for s in vendor.storage]
    if (name, "exact") in declared:
        return name
    specs = [spec for spec, match in declared if match == "prefix" and name.startswith(spec)]
    longest = max(specs, key=len, default=None)
    if longest is not None and longest != name:
        return longest + "*"
    found = RANDOM_SUFFIX.match(name)
    if found and len(found.group("stem")) >= 2:
        return found.group("stem") + "*"
    return name


def lifetime_text(seconds: float | None) -> str:
    if seconds is None:
        return "session"
    if seconds >= 86400 * 1.5:
        return f"{round(seconds / 86400)} days"
    if seconds >= 3600:
        return f"{round(seconds / 3600)} hours"
    return f"{max(1, round(seconds / 60))} minutes"


def build(observations: list[Observation], catalogue: Any, sites: set[str]) -> list[dict[str, Any]]:
    vendors = {v.id: v for v in catalogue.vendors}
    rows: dict[tuple[str, str, str], dict[str, Any]] = {}
    for obs in observations:
        if obs.kind not in ("cookie", "storage") or not obs.name or obs.blocked:
            continue
        kind = "cookie" if obs.kind == "cookie" else f"{obs.storage_kind}Storage"
        if obs.storage_kind == "indexeddb":
            kind = "IndexedDB"
        domain = (obs.host or "").lstrip(".")
        vendor = vendors.get(obs.vendor or "")
        name = pattern_name(obs.name, vendor, obs.kind)
        key = (
            obs.vendor or "",
            kind,
            name + "@" + domain if obs.kind == "cookie" else name,
        )
        row = rows.get(key)
        if row is None:
            row = {
                "name": name,
                "type": kind,
                "vendor": vendor.id if vendor else None,
                "vendor_name": vendor.name if vendor else None,
                "company": vendor.company if vendor else None,
                "country": vendor.country if vendor else None,
                "purposes": ", ".join(vendor.purposes) if vendor else None,
                "party": "first" if site_of(domain) in sites else "third",
                "domain": domain,
                "lifetime_seconds": None,
                "declared": obs.declared,
                "_names": set(),
            }
            if obs.name.startswith("kelisim"):
                row.update(CMP_LABEL)
            elif vendor is None and obs.necessary:
                row.update(vendor_name="the site itself", purposes="necessary")
            rows[key] = row
        row["_names"].add(obs.name)
        row["declared"] = row["declared"] or obs.declared
        if obs.kind == "cookie" and obs.lifetime_seconds is not None and obs.lifetime_seconds > 0:
            current = row["lifetime_seconds"]
            row["lifetime_seconds"] = max(current or 0, round(obs.lifetime_seconds))
    out = []
    for row in sorted(rows.values(), key=lambda r: (r["vendor"] or "~", r["type"], r["name"])):
        row["names_seen"] = len(row.pop("_names"))
        if row["type"] == "cookie":
            row["lifetime"] = lifetime_text(row["lifetime_seconds"])
        else:
            row["lifetime"] = "until cleared" if row["type"] != "sessionStorage" else "session"
        out.append(row)
    return out


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: Any) -> Any:
    """A cell a spreadsheet shows as text: cookie names and domains come from the scanned site,
    and a leading = + - @ tab or CR would make Excel or LibreOffice run it as a formula."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def to_csv(rows: list[dict[str, Any]]) -> str:
    buffer = io.StringIO()
    # Every cell quoted: a CR inside a name would otherwise end the row early.
    writer = csv.DictWriter(
        buffer, fieldnames=FIELDS, extrasaction="ignore", lineterminator="\n", quoting=csv.QUOTE_ALL
    )
    writer.writeheader()
    writer.writerows({key: csv_cell(value) for key, value in row.items()} for row in rows)
    return buffer.getvalue()


def to_html(rows: list[dict[str, Any]]) -> str:
    head = (
        "Name", "Type", "Service", "Company", "Country", "Purpose", "Party", "Domain", "Lifetime",
    )  # fmt: skip
    lines = [
        '<table class="kelisim-declaration">',
        "<thead><tr>" + "".join(f"<th>{h}</th>" for h in head) + "</tr></thead>",
        "<tbody>",
    ]
    for r in rows:
        cells = (
            r["name"], r["type"], r.get("vendor_name") or "unknown", r.get("company") or "",
            r.get("country") or "", r.get("purposes") or "", r["party"], r["domain"], r["lifetime"],
        )  # fmt: skip
        lines.append("<tr>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in cells) + "</tr>")
    lines += ["</tbody>", "</table>"]
    return "\n".join(lines) + "\n"


def write(rows: list[dict[str, Any]], out: Path) -> None:
    (out / "cookie-declaration.json").write_text(
        json.dumps(rows, ensure_ascii=False, indent=1), encoding="utf-8"
    )
    (out / "cookie-declaration.csv").write_text(to_csv(rows), encoding="utf-8")
    (out / "cookie-declaration.html").write_text(to_html(rows), encoding="utf-8")
