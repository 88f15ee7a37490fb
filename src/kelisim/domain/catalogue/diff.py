"""What publishing a draft changes, line by line, as a marketer and an approving admin read it:
per vendor, purpose, text and setting, each host and cookie on a line of its own.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from kelisim.domain.catalogue.document import Document, by_id


@dataclass(frozen=True)
class Change:
    """One line of the diff: in `section` ("catalogue", "texts", "purpose", "vendor"), `item` (a
    language, purpose or vendor id), `field` went from `before` to `after` (None: absent)."""

    section: str
    item: str
    field: str
    before: str | None
    after: str | None

    @property
    def kind(self) -> str:
        if self.before is None:
            return "added"
        if self.after is None:
            return "removed"
        return "changed"

    def to_dict(self) -> dict[str, Any]:
        return {
            "section": self.section,
            "item": self.item,
            "field": self.field,
            "before": self.before,
            "after": self.after,
        }


def _show(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def _flat(value: Any, prefix: str = "") -> dict[str, str]:
    """Field path -> shown value; lists of names become one entry per name (so a diff names each
    host added or removed), cookies and storage are keyed by what identifies them."""
    out: dict[str, str] = {}
    if isinstance(value, dict):
        for key, item in value.items():
            path = f"{prefix}.{key}" if prefix else str(key)
            if key == "cookies" and isinstance(item, list):
                for cookie in item:
                    where = f" @ {cookie['domain']}" if cookie.get("domain") else ""
                    shown = (
                        cookie.get("match", "exact"),
                        cookie.get("party"),
                        cookie.get("lifetime"),
                    )
                    out[f"{path}: {cookie.get('name')}{where}"] = ", ".join(map(_show, shown))
            elif key == "storage" and isinstance(item, list):
                for entry in item:
                    label = f"{path}: {entry.get('kind')} {entry.get('key')}"
                    out[label] = _show(entry.get("match", "exact"))
            elif isinstance(item, list) and all(not isinstance(x, dict | list) for x in item):
                if not item:
                    out[path] = "—"
                for name in item:
                    out[f"{path}: {_show(name)}"] = "✓"
            else:
                out.update(_flat(item, path))
        return out
    out[prefix] = _show(value)
    return out


def _diff_flat(section: str, item: str, before: Any, after: Any) -> list[Change]:
    old, new = _flat(before), _flat(after)
    changes = []
    for key in list(dict.fromkeys([*old, *new])):
        if old.get(key) != new.get(key):
            changes.append(Change(section, item, key, old.get(key), new.get(key)))
    return changes


def diff(live: Document, draft: Document) -> list[Change]:
    """What publishing `draft` over `live` changes, per vendor, purpose, text and setting; the
    revision number itself is not a change (publishing assigns it)."""
    changes: list[Change] = []
    skip = {"schema", "revision", "texts", "purposes", "vendors"}
    before = {k: v for k, v in live.items() if k not in skip}
    after = {k: v for k, v in draft.items() if k not in skip}
    changes += _diff_flat("catalogue", "", before, after)
    old_texts, new_texts = live.get("texts") or {}, draft.get("texts") or {}
    for language in dict.fromkeys([*old_texts, *new_texts]):
        changes += _diff_flat("texts", language, old_texts.get(language), new_texts.get(language))
    for section, key in (("purpose", "purposes"), ("vendor", "vendors")):
        old, new = by_id(live.get(key)), by_id(draft.get(key))
        for item_id in dict.fromkeys([*old, *new]):
            if item_id not in new:
                changes.append(Change(section, item_id, "", "enabled", None))
                continue
            a = {k: v for k, v in (old.get(item_id) or {}).items() if k != "id"}
            b = {k: v for k, v in new[item_id].items() if k != "id"}
            if item_id not in old:
                changes.append(Change(section, item_id, "", None, "added"))
            changes += _diff_flat(section, item_id, a or None, b)
    return [change for change in changes if change.field or change.section != "catalogue"]
