"""Region rules: what a visitor from a given country is shown and how their choice is recorded.

The catalogue may carry an optional `regions:` list. The server picks the first rule whose `match`
covers the visitor's country (from geoip2, kelisim.domain.context), so an EEA visitor can get GDPR
texts and a visitor from Kazakhstan the Law 94-V ones, and a region can hide vendors that do not
operate there. The decision is the server's, never the browser's: the config a visitor is served and
the consent they record both come from the same rule, and the rule's id is kept with the event
(cmp.decisions) and shown on the receipt, so a dispute can tell which texts and defaults applied.

```yaml
regions:
  - id: eea
    match: [EEA, CH, GB]          # ISO 3166-1 alpha-2 codes, EEA (the 30 states), unknown, "*"
    consent_lifetime_days: 180    # optional: overrides the catalogue's
    implied_consent: false        # optional, default false (see below)
    hide_vendors: [vk_ads]        # optional: never offered or granted in this region
    texts:                        # optional overrides of `texts` keys, per language
      en: {description: "…"}
```

`implied_consent: true` is for opt-out jurisdictions only: closing the banner without a choice
(`dismiss`) is then recorded as consent to every vendor the region shows. Without it (the default,
and what Law 94-V and the GDPR require) closing the banner grants nothing.

This module knows nothing of Flask or SQL. `read_regions` is called by kelisim.domain.catalogue's
loader with its reader, so a malformed rule is reported as file:line: field: message like any other
problem.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from types import MappingProxyType
from typing import Any, Protocol

from kelisim.domain.consent import Status

# The European Economic Area: the 27 EU member states plus Iceland, Liechtenstein and Norway.
EEA = frozenset(
    (
        *("AT", "BE", "BG", "HR", "CY", "CZ", "DK", "EE", "FI", "FR", "DE", "GR", "HU", "IE"),
        *("IT", "LV", "LT", "LU", "MT", "NL", "PL", "PT", "RO", "SK", "SI", "ES", "SE"),
        *("IS", "LI", "NO"),
    )
)
GROUPS = MappingProxyType({"EEA": EEA})
ANY = "*"
UNKNOWN = "unknown"
RULE_KEYS = ("id", "match", "consent_lifetime_days", "implied_consent", "hide_vendors", "texts")
MAX_LIFETIME_DAYS = 730

_ID = re.compile(r"[a-z][a-z0-9_]*")
_COUNTRY = re.compile(r"[A-Z]{2}")
_PLACEHOLDER = re.compile(r"\{[a-z_]+\}")


@dataclass(frozen=True)
class RegionRule:
    id: str
    match: tuple[str, ...]
    texts: Mapping[str, Mapping[str, str]]
    hide_vendors: tuple[str, ...] = ()
    consent_lifetime_days: int | None = None
    implied_consent: bool = False

    def matches(self, region: str | None) -> bool:
        """`region` is "KZ", "KZ-ALA" (a subdivision) or None when the address is not known."""
        country = region.split("-", 1)[0].upper() if region else None
        for item in self.match:
            if item == ANY:
                return True
            if country is None:
                if item == UNKNOWN:
                    return True
                continue
            if item == country or country in GROUPS.get(item, ()):
                return True
        return False

    def to_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {"id": self.id, "match": list(self.match)}
        if self.consent_lifetime_days is not None:
            body["consent_lifetime_days"] = self.consent_lifetime_days
        if self.implied_consent:
            body["implied_consent"] = True
        if self.hide_vendors:
            body["hide_vendors"] = list(self.hide_vendors)
        if self.texts:
            body["texts"] = {language: dict(texts) for language, texts in self.texts.items()}
        return body


def rule_for(rules: Iterable[RegionRule], region: str | None) -> RegionRule | None:
    """The first rule that matches, in the catalogue's order; None when none does."""
    for rule in rules:
        if rule.matches(region):
            return rule
    return None


# --- applying a rule -----------------------------------------------------------------------------


def regional_config(config: dict[str, Any], rule: RegionRule | None) -> dict[str, Any]:
    """A `public_config` body as the rule's region sees it.

    Hidden vendors stay in the list with `"hidden": true` instead of being dropped: the runtime
    gates by the hosts it knows, so a vendor left out would run ungated. The server never grants
    them (`restrict`), whatever the browser sends.
    """
    if rule is None:
        return config
    body = dict(config)
    language = body.get("language")
    overrides = rule.texts.get(language, {}) if isinstance(language, str) else {}
    if overrides:
        texts = dict(body.get("texts") or {})
        texts.update({key: value for key, value in overrides.items() if key in texts})
        body["texts"] = texts
    if rule.consent_lifetime_days is not None:
        body["consent_lifetime_days"] = rule.consent_lifetime_days
    if rule.hide_vendors:
        body["vendors"] = [
            {**vendor, "hidden": True} if vendor.get("id") in rule.hide_vendors else vendor
            for vendor in body.get("vendors") or []
        ]
    body["region"] = {"rule": rule.id, "implied_consent": rule.implied_consent}
    return body


def restrict(decision: Any, rule: RegionRule | None) -> Any:
    """The decision as the region allows it: hidden vendors refused, implied consent applied.

    `decision` is a kelisim.domain.consent.Decision; its status follows the grants it ends up with.
    """
    if rule is None:
        return decision
    grants = dict(decision.grants)
    status = decision.status
    if rule.implied_consent and decision.action == "dismiss":
        grants = dict.fromkeys(grants, True)
        status = Status.GIVEN
    for vendor_id in rule.hide_vendors:
        if vendor_id in grants:
            grants[vendor_id] = False
    if status == Status.GIVEN and not any(grants.values()):
        status = Status.REFUSED
    return replace(decision, grants=MappingProxyType(grants), status=status)


def expiry(recorded_at: datetime, default_days: int, rule: RegionRule | None) -> datetime:
    days = rule.consent_lifetime_days if rule and rule.consent_lifetime_days else default_days
    return recorded_at + timedelta(days=days)


# --- reading the `regions:` block ----------------------------------------------------------------


class _Reader(Protocol):
    """The parts of kelisim.domain.catalogue's YAML reader this module uses."""

    languages: tuple[str, ...]
    default_language: str

    def problem(self, node: Any, where: str, message: str) -> None: ...
    def fields(
        self, node: Any, where: str, required: Iterable[str], optional: Iterable[str] = ()
    ) -> dict[str, Any] | None: ...
    def sequence(self, node: Any, where: str) -> list[Any] | None: ...
    def mapping(self, node: Any, where: str) -> dict[str, tuple[Any, Any]] | None: ...
    def string(self, node: Any, where: str, hint: str = ..., *, nullable: bool = ...) -> Any: ...
    def boolean(self, node: Any, where: str) -> bool | None: ...
    def integer(self, node: Any, where: str, low: int, high: int | None = ...) -> int | None: ...


def read_regions(
    reader: _Reader,
    node: Any,
    texts: Mapping[str, Mapping[str, str]],
    vendor_ids: Iterable[str],
) -> tuple[RegionRule, ...] | None:
    """Every rule of the block, or None after reporting what is wrong with it."""
    if node is None:
        return ()
    children = reader.sequence(node, "regions")
    if children is None:
        return None
    known_vendors = set(vendor_ids)
    rules: list[RegionRule] = []
    seen: dict[str, int] = {}
    ok = True
    for index, child in enumerate(children):
        rule = _read_rule(reader, child, f"regions[{index}]", texts, known_vendors, seen)
        if rule is None:
            ok = False
        else:
            rules.append(rule)
    return tuple(rules) if ok else None


def _line(node: Any) -> int:
    return node.start_mark.line + 1 if node.start_mark is not None else 0  # no file, no lines


def _read_rule(
    reader: _Reader,
    node: Any,
    where: str,
    texts: Mapping[str, Mapping[str, str]],
    known_vendors: set[str],
    seen: dict[str, int],
) -> RegionRule | None:
    values = reader.fields(node, where, ("id", "match"), RULE_KEYS[2:])
    if values is None:
        return None
    before = len(getattr(reader, "problems", ()))
    rule_id = reader.string(values.get("id"), f"{where}.id", "a rule id")
    if rule_id is not None:
        if not _ID.fullmatch(rule_id):
            reader.problem(
                values["id"], f"{where}.id", f"'{rule_id}' — use lowercase letters, digits and _"
            )
        elif rule_id in seen:
            reader.problem(
                values["id"],
                f"{where}.id",
                f"rule id '{rule_id}' is used at lines {seen[rule_id]} and "
                f"{_line(values['id'])} — ids must be unique",
            )
        else:
            seen[rule_id] = _line(values["id"])
        where = f"region '{rule_id}'"
    match = _read_match(reader, values.get("match"), f"{where}: match")
    lifetime = reader.integer(
        values.get("consent_lifetime_days"),
        f"{where}: consent_lifetime_days",
        1,
        MAX_LIFETIME_DAYS,
    )
    implied = reader.boolean(values.get("implied_consent"), f"{where}: implied_consent")
    hidden = _read_hidden(
        reader, values.get("hide_vendors"), f"{where}: hide_vendors", known_vendors
    )
    overrides = _read_texts(reader, values.get("texts"), f"{where}: texts", texts)
    if len(getattr(reader, "problems", ())) != before or rule_id is None or match is None:
        return None
    return RegionRule(
        id=rule_id,
        match=match,
        texts=MappingProxyType(overrides or {}),
        hide_vendors=hidden or (),
        consent_lifetime_days=lifetime,
        implied_consent=bool(implied),
    )


def _read_match(reader: _Reader, node: Any, where: str) -> tuple[str, ...] | None:
    children = reader.sequence(node, where)
    if children is None:
        return None
    if not children:
        reader.problem(node, where, "must list at least one country code, EEA, unknown or '*'")
        return None
    items: list[str] = []
    for index, child in enumerate(children):
        value = reader.string(child, f"{where}[{index}]", "a country code")
        if value is None:
            continue
        if value not in GROUPS and value not in (ANY, UNKNOWN) and not _COUNTRY.fullmatch(value):
            reader.problem(
                child,
                f"{where}[{index}]",
                f"'{value}' — use an ISO 3166-1 alpha-2 code in capitals (KZ), "
                f"{', '.join(GROUPS)}, unknown or '*'",
            )
            continue
        if value in items:
            reader.problem(child, f"{where}[{index}]", f"'{value}' is listed twice — keep one")
            continue
        items.append(value)
    return tuple(items)


def _read_hidden(
    reader: _Reader, node: Any, where: str, known_vendors: set[str]
) -> tuple[str, ...] | None:
    children = reader.sequence(node, where)
    if children is None:
        return None
    hidden: list[str] = []
    for index, child in enumerate(children):
        value = reader.string(child, f"{where}[{index}]", "a vendor id")
        if value is None:
            continue
        if value not in known_vendors:
            reader.problem(child, f"{where}[{index}]", f"unknown vendor '{value}'")
            continue
        if value not in hidden:
            hidden.append(value)
    return tuple(hidden)


def _read_texts(
    reader: _Reader, node: Any, where: str, texts: Mapping[str, Mapping[str, str]]
) -> dict[str, Mapping[str, str]] | None:
    entries = reader.mapping(node, where)
    if entries is None:
        return None
    result: dict[str, Mapping[str, str]] = {}
    for language, (key_node, block_node) in entries.items():
        here = f"{where}.{language}"
        if language not in reader.languages:
            reader.problem(key_node, here, f"'{language}' is not one of the languages")
            continue
        block = reader.mapping(block_node, here)
        if block is None:
            continue
        base = texts.get(language, {})
        values: dict[str, str] = {}
        for key, (text_key_node, value_node) in block.items():
            if key not in base:
                reader.problem(
                    text_key_node, f"{here}.{key}", f"'{key}' is not a key of texts.{language}"
                )
                continue
            value = reader.string(value_node, f"{here}.{key}")
            if value is None:
                continue
            wanted = set(_PLACEHOLDER.findall(base[key]))
            if set(_PLACEHOLDER.findall(value)) != wanted:
                reader.problem(
                    value_node, f"{here}.{key}", f"placeholders must be exactly {sorted(wanted)}"
                )
                continue
            values[key] = value
        result[language] = MappingProxyType(values)
    return result
