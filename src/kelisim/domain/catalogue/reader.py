"""Reading vendors.yaml: YAML composed to nodes (so every value keeps its line), walked once,
every problem recorded, and the model built only when there are none."""

from __future__ import annotations

import difflib
import os
import re
from collections.abc import Callable, Iterable, Mapping
from functools import lru_cache
from pathlib import Path
from types import MappingProxyType
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from kelisim.domain.appearance import (
    COLOR_KEYS,
    HEX_COLOR,
    POSITIONS,
    SCHEMES,
    THEMES,
    Appearance,
    contrast_problems,
)
from kelisim.domain.catalogue.model import (
    Catalogue,
    CookieSpec,
    LocalText,
    Operator,
    Purpose,
    Site,
    StorageSpec,
    Vendor,
)
from kelisim.domain.catalogue.problems import (
    CatalogueError,
    Problem,
)
from kelisim.domain.catalogue.rules import (
    _BIN,
    _COOKIE_DOMAIN,
    _COOKIE_NAME,
    _COUNTRY,
    _EMAIL,
    _HOST,
    _HOST_PATH,
    _HTTPS_URL,
    _ID,
    _LANGUAGE,
    _LIFETIME,
    _LIFETIME_UNITS,
    _ORIGIN,
    _PATH,
    _PLACEHOLDER,
    _SITE_ID,
    _UNKNOWN_KEYS,
    _URL,
    _VENDOR_OPTIONAL,
    _VENDOR_REQUIRED,
    CONSENT_APIS,
    CONSENT_MODE_TYPES,
    COOKIE_MATCHES,
    COOKIE_PARTIES,
    MAX_CONSENT_LIFETIME_DAYS,
    OPTIONAL_TOP_KEYS,
    REQUIRED_PLACEHOLDERS,
    REQUIRED_TEXT_KEYS,
    SCHEMA,
    SITE_KINDS,
    STORAGE_KINDS,
    TOP_KEYS,
)
from kelisim.domain.regions import read_regions

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

_TAG_STR = "tag:yaml.org,2002:str"
_TAG_NULL = "tag:yaml.org,2002:null"
_TAG_BOOL = "tag:yaml.org,2002:bool"
_TAG_INT = "tag:yaml.org,2002:int"
_TAG_MERGE = "tag:yaml.org,2002:merge"


def _join(base: str, key: str) -> str:
    if not base:
        return key
    return base + key if base.endswith(": ") else f"{base}.{key}"


def _named(node: Node, what: str) -> str | None:
    """``vendor 'vk': `` as the field prefix when the item has a readable id, since an editor
    searches the file for the id, not for the item's index."""
    if isinstance(node, MappingNode):
        for key, value in node.value:
            is_id = isinstance(key, ScalarNode) and key.value == "id"
            if is_id and isinstance(value, ScalarNode) and _ID.fullmatch(value.value):
                return f"{what} '{value.value}': "
    return None


def _line(node: Node) -> int:
    # A document built in code (an admin draft, kelisim.domain.catalogue.reader.from_document)
    # has no file and so no lines.
    return node.start_mark.line + 1 if node.start_mark is not None else 0


def _kind(node: Node) -> str:
    if isinstance(node, MappingNode):
        return "a mapping"
    if isinstance(node, SequenceNode):
        return "a list"
    if node.tag == _TAG_NULL:
        return "nothing (null)"
    return f"'{node.value}'"


_CONSTRUCTOR = yaml.constructor.SafeConstructor()


class _Reader:
    """Walks the composed YAML nodes, records every problem, and builds the catalogue if none.

    Readers take ``None`` for a key that is missing (already reported) and return ``None`` for
    anything they could not read, so one bad value never hides the next; nothing is built from a
    file with problems, so ``None`` never reaches a dataclass.
    """

    def __init__(self, source: str) -> None:
        self.source = source
        self.problems: list[Problem] = []
        self.languages: tuple[str, ...] = ()
        self.default_language = ""

    def problem(self, node: Node, where: str, message: str) -> None:
        self.problems.append(Problem(self.source, _line(node), where, message))

    # -- shapes and scalars ----------------------------------------------------------------------

    def mapping(self, node: Node | None, where: str) -> dict[str, tuple[Node, Node]] | None:
        if node is None:
            return None
        if not isinstance(node, MappingNode):
            self.problem(
                node, where or "(top level)", f"expected keys and values, found {_kind(node)}"
            )
            return None
        entries: dict[str, tuple[Node, Node]] = {}
        for key_node, value_node in node.value:
            if key_node.tag == _TAG_MERGE:
                self.problem(
                    key_node, where, "merge keys ('<<') are not supported — write keys out"
                )
                continue
            if not isinstance(key_node, ScalarNode) or key_node.tag != _TAG_STR:
                self.problem(key_node, where, f"key {_kind(key_node)} is not a name — quote it")
                continue
            key = key_node.value
            if key in entries:
                first = _line(entries[key][0])
                self.problem(
                    key_node,
                    _join(where, key),
                    f"duplicate key '{key}' at lines {first} and {_line(key_node)} — keep one",
                )
                continue
            entries[key] = (key_node, value_node)
        return entries

    def fields(
        self, node: Node | None, where: str, required: Iterable[str], optional: Iterable[str] = ()
    ) -> dict[str, Node] | None:
        entries = self.mapping(node, where)
        if entries is None or node is None:
            return None
        required = tuple(required)
        allowed = {*required, *optional}
        for key, (key_node, _) in entries.items():
            if key not in allowed:
                close = difflib.get_close_matches(key, allowed, n=1)
                hint = (
                    f"did you mean '{close[0]}'?"
                    if close
                    else "allowed: " + ", ".join(sorted(allowed))
                )
                self.problem(key_node, _join(where, key), f"unknown key '{key}' — {hint}")
        for key in required:
            if key not in entries:
                self.problem(node, _join(where, key), "missing — add it (see docs/architecture.md)")
        return {key: value for key, (_, value) in entries.items() if key in allowed}

    def sequence(self, node: Node | None, where: str) -> list[Node] | None:
        if node is None:
            return None
        if not isinstance(node, SequenceNode):
            self.problem(node, where, f"expected a list, found {_kind(node)}")
            return None
        return list(node.value)

    def items(
        self,
        node: Node | None,
        where: str,
        read: Callable[[Node, str], Any],
        *,
        empty_ok: bool = True,
    ) -> tuple[Any, ...] | None:
        """A list read item by item with ``read(node, where)``; repeats are reported."""
        children = self.sequence(node, where)
        if children is None or node is None:
            return None
        if not children and not empty_ok:
            self.problem(node, where, "must list at least one entry")
        values: dict[Any, int] = {}
        for index, child in enumerate(children):
            value = read(child, f"{where}[{index}]")
            if value is None:
                continue
            if value in values:
                self.problem(
                    child,
                    f"{where}[{index}]",
                    f"'{value}' is listed twice (lines {values[value]} "
                    f"and {_line(child)}) — keep one",
                )
                continue
            values[value] = _line(child)
        return tuple(values)

    def string(
        self, node: Node | None, where: str, hint: str = "a text", *, nullable: bool = False
    ) -> str | None:
        if node is None:
            return None
        if not isinstance(node, ScalarNode):
            self.problem(node, where, f"expected {hint}, found {_kind(node)}")
            return None
        if node.tag == _TAG_NULL:
            if not nullable:
                self.problem(node, where, f"expected {hint}, found nothing (null)")
            return None
        if node.tag != _TAG_STR:
            reads_as = "true/false" if node.tag == _TAG_BOOL else "a number or a date"
            self.problem(
                node, where, f"expected {hint}; YAML reads {node.value!r} as {reads_as} — quote it"
            )
            return None
        if not node.value.strip():
            self.problem(node, where, f"expected {hint}, found an empty text")
            return None
        return node.value

    def pattern(
        self,
        node: Node | None,
        where: str,
        regex: re.Pattern[str],
        hint: str,
        *,
        nullable: bool = False,
    ) -> str | None:
        value = self.string(node, where, hint, nullable=nullable)
        if value is not None and node is not None and not regex.fullmatch(value):
            self.problem(node, where, f"'{value}' is not {hint}")
            return None
        return value

    def url(self, node: Node | None, where: str, *, nullable: bool = False) -> str | None:
        hint = "an http(s) URL like https://example.kz/privacy"
        return self.pattern(node, where, _URL, hint, nullable=nullable)

    def choice(
        self, node: Node | None, where: str, options: tuple[str, ...], default: str | None = None
    ) -> str | None:
        if node is None:
            return default
        value = self.string(node, where, " or ".join(options))
        if value is not None and value not in options:
            self.problem(node, where, f"'{value}' — use {' or '.join(options)}")
            return None
        return value

    def boolean(self, node: Node | None, where: str) -> bool | None:
        if node is None:
            return None
        if not isinstance(node, ScalarNode) or node.tag != _TAG_BOOL:
            self.problem(node, where, f"expected true or false, found {_kind(node)}")
            return None
        return bool(_CONSTRUCTOR.construct_yaml_bool(node))

    def integer(
        self, node: Node | None, where: str, low: int, high: int | None = None
    ) -> int | None:
        if node is None:
            return None
        if not isinstance(node, ScalarNode) or node.tag != _TAG_INT:
            self.problem(node, where, f"expected a whole number, found {_kind(node)}")
            return None
        value = int(_CONSTRUCTOR.construct_yaml_int(node))
        if value < low or (high is not None and value > high):
            bounds = f"from {low} to {high}" if high is not None else f"of {low} or more"
            self.problem(node, where, f"{value} is out of range — use a number {bounds}")
            return None
        return value

    def host(self, node: Node, where: str) -> str | None:
        value = self.string(node, where, "a host name")
        if value is None:
            return None
        if "://" in value:
            fix = "write the bare host name, without the scheme"
        elif "/" in value:
            fix = "write the bare host name, without a path"
        elif value != value.lower():
            fix = "write host names in lowercase"
        elif not _HOST.fullmatch(value):
            fix = "not a host name like mc.yandex.ru"
        else:
            return value
        self.problem(node, where, f"'{value}' — {fix}")
        return None

    def host_path(self, node: Node, where: str) -> str | None:
        """A `urls` entry: a lowercase host name, then a path prefix starting with /."""
        hint = "a host and path prefix like www.google.com/g/collect"
        value = self.string(node, where, hint)
        if value is None:
            return None
        found = _HOST_PATH.fullmatch(value)
        if "://" in value:
            fix = "write the host and path without the scheme"
        elif found is None:
            fix = f"not {hint}"
        elif found[1] != found[1].lower() or not _HOST.fullmatch(found[1]):
            fix = "the host must be a lowercase host name like www.google.com"
        else:
            return value
        self.problem(node, where, f"'{value}' — {fix}")
        return None

    def local_text(self, node: Node | None, where: str) -> LocalText | None:
        entries = self.mapping(node, where)
        if entries is None or node is None:
            return None
        texts: dict[str, str] = {}
        for language, (key_node, value_node) in entries.items():
            if self.languages and language not in self.languages:
                self.problem(
                    key_node, _join(where, language), f"'{language}' is not one of the languages"
                )
                continue
            value = self.string(value_node, _join(where, language))
            if value is not None:
                texts[language] = value
        for language in self.languages:
            if language not in entries:
                self.problem(
                    node, _join(where, language), f"missing the '{language}' text — add it"
                )
        reference = texts.get(self.default_language)
        for language, value in texts.items():
            wanted = set(_PLACEHOLDER.findall(reference or ""))
            if reference is not None and set(_PLACEHOLDER.findall(value)) != wanted:
                self.problem(
                    entries[language][1],
                    _join(where, language),
                    f"placeholders differ from the {self.default_language} text's {sorted(wanted)}",
                )
        if not self.languages or set(texts) != set(self.languages):
            return None
        ordered = {language: texts[language] for language in self.languages}
        return LocalText(MappingProxyType(ordered), self.default_language)

    def lifetime(self, node: Node | None, where: str) -> tuple[int | None, bool] | None:
        """(seconds or None for a session cookie, whether the lifetime is known at all)."""
        if node is None:
            return None
        if isinstance(node, ScalarNode) and node.tag == _TAG_INT:
            self.problem(
                node, where, f"lifetime {node.value} has no unit — write '{node.value}d' for days"
            )
            return None
        raw = node.value if isinstance(node, ScalarNode) else _kind(node)
        if raw == "session":
            return None, True
        if raw == "unknown":
            return None, False
        found = _LIFETIME.fullmatch(raw) if isinstance(raw, str) else None
        if found is None:
            self.problem(
                node,
                where,
                f"lifetime '{raw}' — use a number with a unit like '365d', '12h' or '30m', or "
                "'session' (or 'unknown', explained in unknown.cookies)",
            )
            return None
        return int(found.group(1)) * _LIFETIME_UNITS[found.group(2)], True

    # -- the sections ----------------------------------------------------------------------------

    def catalogue(self, root: Node) -> Catalogue | None:
        top = self.fields(root, "", TOP_KEYS, OPTIONAL_TOP_KEYS)
        if top is None:
            return None
        schema = self.integer(top.get("schema"), "schema", 1)
        if schema is not None and schema != SCHEMA:
            self.problem(
                top["schema"], "schema", f"schema {schema} is not supported — use {SCHEMA}"
            )
        revision = self.integer(top.get("revision"), "revision", 1)
        consent_revision = self.integer(top.get("consent_revision"), "consent_revision", 1)
        if revision and consent_revision and consent_revision > revision:
            self.problem(
                top["consent_revision"],
                "consent_revision",
                f"{consent_revision} is later than revision {revision} — a choice can only "
                "stand from this revision or an earlier one",
            )
        lifetime = self.integer(
            top.get("consent_lifetime_days"), "consent_lifetime_days", 1, MAX_CONSENT_LIFETIME_DAYS
        )
        self.read_languages(top.get("languages"), top.get("default_language"))
        operator = self.operator(top.get("operator"))
        sites = self.sites(top.get("sites"))
        texts = self.texts(top.get("texts"))
        purposes = self.purposes(top.get("purposes"))
        vendors = self.vendors(top.get("vendors"), purposes)
        appearance = self.appearance(top.get("appearance"))
        regions = None
        if texts is not None and vendors is not None:
            regions = read_regions(
                self, top.get("regions"), texts, (vendor.id for vendor in vendors)
            )
        if self.problems:
            return None
        assert revision and lifetime and operator and sites is not None
        assert texts is not None and purposes is not None and vendors is not None
        return Catalogue(
            revision=revision,
            consent_lifetime_days=lifetime,
            default_language=self.default_language,
            languages=self.languages,
            operator=operator,
            sites=MappingProxyType(sites),
            purposes=purposes,
            vendors=vendors,
            texts=MappingProxyType(texts),
            source=self.source,
            appearance=appearance or Appearance(),
            regions=regions or (),
            consent_revision=consent_revision or 0,
        )

    def appearance(self, node: Node | None) -> Appearance | None:
        """The banner's look; every colour pair it draws text with must reach 4.5:1."""
        values = self.fields(node, "appearance", (), ("position", "theme", "logo_url", "colors"))
        if values is None:
            return None
        position = self.choice(values.get("position"), "appearance.position", POSITIONS, "bar")
        theme = self.choice(values.get("theme"), "appearance.theme", THEMES, "light")
        logo_url = self.pattern(
            values.get("logo_url"),
            "appearance.logo_url",
            _HTTPS_URL,
            "an https URL of an image like https://example.kz/logo.svg",
            nullable=True,
        )
        colors: dict[str, Mapping[str, str]] = {}
        schemes = self.fields(values.get("colors"), "appearance.colors", (), SCHEMES) or {}
        for scheme, scheme_node in schemes.items():
            where = f"appearance.colors.{scheme}"
            palette_nodes = self.fields(scheme_node, where, COLOR_KEYS)
            if palette_nodes is None:
                continue
            palette = {
                key: self.pattern(value, f"{where}.{key}", HEX_COLOR, "a colour like '#0b57b0'")
                for key, value in palette_nodes.items()
            }
            if any(value is None for value in palette.values()) or len(palette) < len(COLOR_KEYS):
                continue
            complete = {key: str(value).lower() for key, value in palette.items()}
            for key, message in contrast_problems(complete):
                self.problem(palette_nodes[key], f"{where}.{key}", message)
            colors[scheme] = MappingProxyType(complete)
        if position is None or theme is None:
            return None
        return Appearance(
            position=position, theme=theme, logo_url=logo_url, colors=MappingProxyType(colors)
        )

    def read_languages(self, node: Node | None, default_node: Node | None) -> None:
        hint = "a lowercase language code like 'kk'"
        languages = self.items(
            node,
            "languages",
            lambda child, where: self.pattern(child, where, _LANGUAGE, hint),
            empty_ok=False,
        )
        default = self.string(default_node, "default_language", "a language code")
        if not languages:
            return
        self.languages = languages
        self.default_language = default if default in languages else languages[0]
        if default is not None and default_node is not None and default not in languages:
            self.problem(
                default_node,
                "default_language",
                f"'{default}' is not in languages {list(languages)} — add it there or pick one",
            )

    def operator(self, node: Node | None) -> Operator | None:
        values = self.fields(
            node,
            "operator",
            ("name", "site_url", "privacy_policy_url", "bin", "contact", "responsible_person"),
        )
        if values is None:
            return None
        bin_node = values.get("bin")
        if isinstance(bin_node, ScalarNode) and bin_node.tag == _TAG_INT:
            self.problem(
                bin_node, "operator.bin", "quote the BIN ('012345678901') to keep its zeros"
            )
            bin_node = None
        contact: dict[str, str | None] = {}
        found = self.fields(
            values.get("contact"), "operator.contact", ("email", "phone", "address")
        )
        for key, value_node in (found or {}).items():
            where = f"operator.contact.{key}"
            if key == "email":
                contact[key] = self.pattern(
                    value_node, where, _EMAIL, "an e-mail address", nullable=True
                )
            else:
                contact[key] = self.string(value_node, where, nullable=True)
        return Operator(
            name=self.string(values.get("name"), "operator.name") or "",
            site_url=self.url(values.get("site_url"), "operator.site_url") or "",
            privacy_policy_url=self.url(
                values.get("privacy_policy_url"), "operator.privacy_policy_url"
            )
            or "",
            bin=self.pattern(bin_node, "operator.bin", _BIN, "a 12-digit BIN", nullable=True),
            contact=MappingProxyType(contact),
            responsible_person=self.string(
                values.get("responsible_person"), "operator.responsible_person", nullable=True
            ),
        )

    def sites(self, node: Node | None) -> dict[str, Site] | None:
        entries = self.mapping(node, "sites")
        if entries is None or node is None:
            return None
        if not entries:
            self.problem(node, "sites", "add at least one site (e.g. 'default')")
        sites: dict[str, Site] = {}
        for site_id, (key_node, value_node) in entries.items():
            if not _SITE_ID.fullmatch(site_id):
                self.problem(
                    key_node,
                    "sites",
                    f"site id '{site_id}' — use lowercase letters, digits, _ or -",
                )
                continue
            where = f"site '{site_id}': "
            values = self.fields(
                value_node, where, (), ("origins", "cookie_domain", "policy_url", "kind")
            )
            if values is None:
                continue
            kind = self.choice(values.get("kind"), _join(where, "kind"), SITE_KINDS, "web")
            if kind != "app" and "origins" not in values:
                self.problem(
                    value_node,
                    _join(where, "origins"),
                    "missing — add it (a native app's site says kind: app instead)",
                )
            origins = self.items(
                values.get("origins"),
                _join(where, "origins"),
                self.origin,
                empty_ok=kind == "app",
            )
            cookie_domain = self.pattern(
                values.get("cookie_domain"),
                _join(where, "cookie_domain"),
                _COOKIE_DOMAIN,
                "a lowercase domain like .creditplus.kz",
                nullable=True,
            )
            policy_url = self.url(
                values.get("policy_url"), _join(where, "policy_url"), nullable=True
            )
            sites[site_id] = Site(site_id, origins or (), cookie_domain, policy_url, kind or "web")
        return sites

    def origin(self, node: Node, where: str) -> str | None:
        value = self.string(node, where, "an origin")
        if value is None:
            return None
        if value == "null":
            self.problem(node, where, "'null' is never a site's origin — remove it")
            return None
        if value != value.lower() or not _ORIGIN.fullmatch(value):
            self.problem(
                node,
                where,
                f"origin '{value}' — write scheme://host or scheme://host:port in lowercase, "
                "'*' as the port for any port, no path and no trailing slash",
            )
            return None
        return value

    def texts(self, node: Node | None) -> dict[str, Mapping[str, str]] | None:
        entries = self.mapping(node, "texts")
        if entries is None or node is None:
            return None
        texts: dict[str, dict[str, str]] = {}
        blocks: dict[str, dict[str, tuple[Node, Node]]] = {}
        for language, (key_node, value_node) in entries.items():
            where = _join("texts", language)
            if self.languages and language not in self.languages:
                self.problem(key_node, where, f"'{language}' is not one of the languages")
                continue
            block = self.mapping(value_node, where)
            if block is None:
                continue
            blocks[language] = block
            texts[language] = {}
            for key, (_, text_node) in block.items():
                value = self.string(text_node, _join(where, key))
                if value is not None:
                    texts[language][key] = value
        for language in self.languages:
            if language not in entries:
                self.problem(node, _join("texts", language), f"missing the '{language}' texts")
        every_key = set().union(*blocks.values())
        reference = texts.get(self.default_language, {})
        for language, block in blocks.items():
            where = _join("texts", language)
            for key in sorted((every_key | REQUIRED_TEXT_KEYS) - block.keys()):
                others = [other for other, keys in blocks.items() if key in keys]
                reason = (
                    f"the {', '.join(others)} texts have it" if others else "the banner uses it"
                )
                self.problem(entries[language][0], _join(where, key), f"missing — {reason}")
            for key, value in texts[language].items():
                found = set(_PLACEHOLDER.findall(value))
                wanted = set(REQUIRED_PLACEHOLDERS.get(key, ()))
                if language != self.default_language and key in reference:
                    wanted |= set(_PLACEHOLDER.findall(reference[key]))
                    wrong = found != wanted
                else:
                    wrong = not wanted <= found
                if wrong:
                    self.problem(
                        block[key][1],
                        _join(where, key),
                        f"placeholders {sorted(found)} — use exactly {sorted(wanted)}",
                    )
        return {language: MappingProxyType(texts.get(language, {})) for language in self.languages}

    def identifier(
        self, node: Node | None, where: str, seen: dict[str, int], what: str
    ) -> str | None:
        hint = "an id of lowercase letters, digits and '_', starting with a letter"
        value = self.pattern(node, _join(where, "id"), _ID, hint)
        if value is None or node is None:
            return None
        if value in seen:
            self.problem(
                node,
                _join(where, "id"),
                f"{what} id '{value}' is used at lines {seen[value]} and {_line(node)} — "
                "ids must be unique",
            )
            return None
        seen[value] = _line(node)
        return value

    def purposes(self, node: Node | None) -> tuple[Purpose, ...] | None:
        children = self.sequence(node, "purposes")
        if children is None or node is None:
            return None
        if not children:
            self.problem(node, "purposes", "add at least one purpose")
        purposes: list[Purpose] = []
        seen: dict[str, int] = {}
        for index, child in enumerate(children):
            where = _named(child, "purpose") or f"purposes[{index}]"
            values = self.fields(child, where, ("id", "name", "description"), ("required",))
            if values is None:
                continue
            purpose_id = self.identifier(values.get("id"), where, seen, "purpose")
            required = False
            if "required" in values:
                required = self.boolean(values["required"], _join(where, "required"))
            name = self.local_text(values.get("name"), _join(where, "name"))
            description = self.local_text(values.get("description"), _join(where, "description"))
            if purpose_id and required is not None and name and description:
                purposes.append(Purpose(purpose_id, required, name, description))
        return tuple(purposes)

    def vendors(
        self, node: Node | None, purposes: tuple[Purpose, ...] | None
    ) -> tuple[Vendor, ...] | None:
        children = self.sequence(node, "vendors")
        if children is None:
            return None
        known = None if purposes is None else {purpose.id: purpose for purpose in purposes}
        seen: dict[str, int] = {}
        vendors = (
            self.vendor(child, f"vendors[{index}]", seen, known)
            for index, child in enumerate(children)
        )
        return tuple(vendor for vendor in vendors if vendor is not None)

    def vendor(
        self, node: Node, where: str, seen: dict[str, int], known: Mapping[str, Purpose] | None
    ) -> Vendor | None:
        before = len(self.problems)
        where = _named(node, "vendor") or where
        values = self.fields(node, where, _VENDOR_REQUIRED, _VENDOR_OPTIONAL)
        if values is None:
            return None
        vendor_id = self.identifier(values.get("id"), where, seen, "vendor")

        def at(key: str) -> str:
            return _join(where, key)

        country_hint = "an ISO 3166-1 alpha-2 country code like 'RU', or null if unknown"
        consent_api = self.string(
            values.get("consent_api"), at("consent_api"), "a consent API name", nullable=True
        )
        if consent_api is not None and consent_api not in CONSENT_APIS:
            self.problem(
                values["consent_api"],
                at("consent_api"),
                f"'{consent_api}' — use one of {', '.join(CONSENT_APIS)}, or null",
            )
        path_hint = "a path on the site's own host like /matomo.js"
        unknown = self.unknown_notes(values.get("unknown"), at("unknown"))
        vendor = Vendor(
            id=vendor_id or "",
            name=self.string(values.get("name"), at("name")) or "",
            company=self.string(values.get("company"), at("company")) or "",
            country=self.pattern(
                values.get("country"), at("country"), _COUNTRY, country_hint, nullable=True
            ),
            data_leaves_kz=bool(self.boolean(values.get("data_leaves_kz"), at("data_leaves_kz"))),
            purposes=self.items(
                values.get("purposes"),
                at("purposes"),
                lambda child, child_where: self.vendor_purpose(child, child_where, known),
                empty_ok=False,
            )
            or (),
            privacy_policy_url=self.url(values.get("privacy_policy_url"), at("privacy_policy_url"))
            or "",
            consent_api=consent_api,
            script_hosts=self.items(values.get("script_hosts"), at("script_hosts"), self.host)
            or (),
            beacon_hosts=self.items(values.get("beacon_hosts"), at("beacon_hosts"), self.host)
            or (),
            cookies=self.cookies(values.get("cookies"), at("cookies")) or (),
            storage=self.storage(values.get("storage"), at("storage")) or (),
            unknown=MappingProxyType(unknown or {}),
            description=self.local_text(values.get("description"), at("description"))
            or LocalText(MappingProxyType({}), ""),
            paths=self.items(
                values.get("paths"),
                at("paths"),
                lambda child, child_where: self.pattern(child, child_where, _PATH, path_hint),
            )
            or (),
            domains=self.items(values.get("domains"), at("domains"), self.host) or (),
            urls=self.items(values.get("urls"), at("urls"), self.host_path) or (),
            consent_mode=self.items(
                values.get("consent_mode"),
                at("consent_mode"),
                lambda child, child_where: self.choice(child, child_where, CONSENT_MODE_TYPES),
            )
            or (),
        )
        if len(self.problems) > before:
            return None
        self.check_disclosure(vendor, values, where)
        return vendor if len(self.problems) == before else None

    def check_disclosure(self, vendor: Vendor, values: Mapping[str, Node], where: str) -> None:
        """Cross-field checks that keep a gap in the research from reading like a fact."""
        if vendor.country is None and "country" not in vendor.unknown:
            self.problem(
                values["country"], _join(where, "country"), "null — say why in unknown.country"
            )
        if not vendor.data_leaves_kz and vendor.country != "KZ":
            destination = vendor.country or "an unknown country"
            self.problem(
                values["data_leaves_kz"],
                _join(where, "data_leaves_kz"),
                f"false, but the data goes to {destination} — set it to true, visitors must be "
                "told of the transfer",
            )
        lists = (vendor.hosts, vendor.paths, vendor.domains, vendor.urls)
        no_hosts = not any(lists)
        if no_hosts and not {"hosts", "script_hosts", "beacon_hosts"} & vendor.unknown.keys():
            self.problem(
                values["script_hosts"],
                _join(where, "script_hosts"),
                "no script_hosts, beacon_hosts or paths — list them, or say why in "
                "unknown.script_hosts",
            )
        if vendor.consent_mode and vendor.consent_api != "google_consent_mode":
            self.problem(
                values["consent_mode"],
                _join(where, "consent_mode"),
                "Consent Mode types need consent_api: google_consent_mode — set it, or drop "
                "consent_mode",
            )
        unknown_lifetime = any(not cookie.lifetime_known for cookie in vendor.cookies)
        if unknown_lifetime and "cookies" not in vendor.unknown:
            self.problem(
                values["cookies"],
                _join(where, "cookies"),
                "a cookie has 'lifetime: unknown' — say what is unknown in unknown.cookies",
            )

    def vendor_purpose(
        self, node: Node, where: str, known: Mapping[str, Purpose] | None
    ) -> str | None:
        value = self.string(node, where, "a purpose id")
        if value is None or known is None:
            return value
        if value not in known:
            self.problem(node, where, f"unknown purpose '{value}' — use one of {', '.join(known)}")
            return None
        if known[value].required:
            self.problem(
                node,
                where,
                f"purpose '{value}' is required (always on), but every vendor needs consent — "
                "use a purpose that asks for it",
            )
            return None
        return value

    def unknown_notes(self, node: Node | None, where: str) -> dict[str, str] | None:
        entries = self.mapping(node, where)
        if entries is None:
            return None
        notes: dict[str, str] = {}
        for key, (key_node, value_node) in entries.items():
            if key not in _UNKNOWN_KEYS:
                close = difflib.get_close_matches(key, _UNKNOWN_KEYS, n=1)
                hint = f"did you mean '{close[0]}'?" if close else "use a vendor field's name"
                self.problem(key_node, _join(where, key), f"'{key}' is not a vendor field — {hint}")
                continue
            value = self.string(value_node, _join(where, key), "a short note")
            if value is not None:
                notes[key] = value
        return notes

    def cookies(self, node: Node | None, where: str) -> tuple[CookieSpec, ...] | None:
        children = self.sequence(node, where)
        if children is None:
            return None
        name_hint = "a cookie name (no spaces, ';', ',' or '=')"
        domain_hint = "a lowercase cookie domain like .yandex.ru"
        cookies: dict[tuple[str, str, str | None], CookieSpec] = {}
        lines: dict[tuple[str, str, str | None], int] = {}
        for index, child in enumerate(children):
            item = f"{where}[{index}]"
            before = len(self.problems)
            values = self.fields(child, item, ("name", "party", "lifetime"), ("match", "domain"))
            if values is None:
                continue
            name = self.pattern(values.get("name"), _join(item, "name"), _COOKIE_NAME, name_hint)
            match = self.choice(values.get("match"), _join(item, "match"), COOKIE_MATCHES, "exact")
            party = self.choice(values.get("party"), _join(item, "party"), COOKIE_PARTIES)
            domain = self.pattern(
                values.get("domain"),
                _join(item, "domain"),
                _COOKIE_DOMAIN,
                domain_hint,
                nullable=True,
            )
            lifetime = self.lifetime(values.get("lifetime"), _join(item, "lifetime"))
            if party == "third" and domain is None and "domain" not in values:
                self.problem(
                    child,
                    _join(item, "domain"),
                    "a third-party cookie needs the domain it lives on, like .yandex.ru",
                )
            if party == "first" and domain is not None:
                self.problem(
                    values["domain"],
                    _join(item, "domain"),
                    "a first-party cookie lives on the site's own domain — remove 'domain'",
                )
            if len(self.problems) > before or not (name and match and party and lifetime):
                continue
            key = (name, match, domain)
            if key in cookies:
                self.problem(
                    child,
                    item,
                    f"cookie '{name}' is declared twice (lines {lines[key]} and {_line(child)})",
                )
                continue
            lines[key] = _line(child)
            cookies[key] = CookieSpec(name, match, party, domain, lifetime[0], lifetime[1])
        return tuple(cookies.values())

    def storage(self, node: Node | None, where: str) -> tuple[StorageSpec, ...] | None:
        children = self.sequence(node, where)
        if children is None:
            return None
        specs: dict[StorageSpec, int] = {}
        for index, child in enumerate(children):
            item = f"{where}[{index}]"
            values = self.fields(child, item, ("kind", "key"), ("match",))
            if values is None:
                continue
            kind = self.choice(values.get("kind"), _join(item, "kind"), STORAGE_KINDS)
            key = self.string(values.get("key"), _join(item, "key"), "a storage key")
            match = self.choice(values.get("match"), _join(item, "match"), COOKIE_MATCHES, "exact")
            if not (kind and key and match):
                continue
            spec = StorageSpec(kind, key, match)
            if spec in specs:
                self.problem(
                    child,
                    item,
                    f"'{key}' is declared twice (lines {specs[spec]} and {_line(child)})",
                )
                continue
            specs[spec] = _line(child)
        return tuple(specs)


def load(path: str | os.PathLike[str]) -> Catalogue:
    source = os.fspath(path)
    try:
        text = Path(source).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise CatalogueError(
            [Problem(source, 0, "", "file not found — check the path (KELISIM_CATALOGUE)")]
        ) from None
    except UnicodeDecodeError as error:
        raise CatalogueError(
            [Problem(source, 0, "", f"not UTF-8 text ({error.reason}) — save it as UTF-8")]
        ) from None
    except OSError as error:
        raise CatalogueError([Problem(source, 0, "", f"cannot read: {error.strerror}")]) from None
    return loads(text, source)


def loads(text: str, source: str = "<string>") -> Catalogue:
    """The catalogue a vendors.yaml text describes; CatalogueError lists every problem.

    Memoised by (text, source): a Catalogue is frozen and reading one costs tens of milliseconds
    of YAML, while every start (and every test's app) reads the same few texts again."""
    return _read_text(text, source)


@lru_cache(maxsize=16)
def _read_text(text: str, source: str) -> Catalogue:
    try:
        root = yaml.compose(text, Loader=_Loader)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = mark.line + 1 if mark is not None else 0
        detail = " ".join(part for part in (error.context, error.problem) if part)
        raise CatalogueError(
            [Problem(source, line, "", f"YAML syntax error: {detail or error}")]
        ) from None
    except yaml.YAMLError as error:
        raise CatalogueError([Problem(source, 0, "", f"YAML error: {error}")]) from None
    if root is None:
        raise CatalogueError(
            [Problem(source, 1, "", "the file is empty — see docs/architecture.md")]
        )
    return _read(root, source)


def from_document(document: Mapping[str, Any], source: str = "<document>") -> Catalogue:
    """The catalogue a document (vendors.yaml as plain data, as the admin keeps its drafts)
    describes, checked by every rule the file loader applies.

    The data is represented as YAML nodes directly, never written out as text and parsed back:
    what is checked is exactly what is stored, and the problems' locations name its keys and
    indexes (a draft has no lines).
    """
    return _read(_Representer().represent_data(document), source)


class _Representer(yaml.representer.SafeRepresenter):
    """Plain data to the nodes the reader walks, with the tags the YAML resolver would give."""

    def ignore_aliases(self, data: Any) -> bool:
        return True  # a repeated list or mapping is read twice, as text without anchors would be


def _read(root: Node, source: str) -> Catalogue:
    reader = _Reader(source)
    catalogue = reader.catalogue(root)
    if reader.problems or catalogue is None:
        raise CatalogueError(sorted(reader.problems, key=lambda problem: problem.line))
    return catalogue
