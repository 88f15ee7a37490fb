"""Consent on sites that run another consent manager, set through DuckDuckGo's autoconsent.

autoconsent (npm `@duckduckgo/autoconsent`, MPL-2.0) knows how to find and answer the banners of
hundreds of consent managers (Cookiebot, OneTrust, Usercentrics, Didomi, Klaro, cookieconsent, …).
The scanner does what its browser extension does: it injects the package's Playwright content
script (dist/autoconsent.playwright.js) into every frame, answers its messages (the rules for the
frame's URL, the main-world evaluations some rules need), tells it to opt out or opt in, and asks
for the self-test after an opt-out, the package's own check that the refusal was stored.

The package is not vendored: it is read from the local npm install (scripts/npm-tools autoconsent
puts it under node_modules/.tools/autoconsent), or from the folder `--autoconsent` or
$KELISIM_AUTOCONSENT names. Nothing is fetched at scan time.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kelisim.scanner.config import ConfigError
from kelisim.scanner.model import ConsentDriving
from kelisim.settings import PACKAGE_DIR

AUTOCONSENT_ENV = "KELISIM_AUTOCONSENT"
PACKAGE = "@duckduckgo/autoconsent"
TOOL_DIR = Path("node_modules") / ".tools" / "autoconsent"
CONTENT_SCRIPT = Path("dist") / "autoconsent.playwright.js"
RULES = Path("rules") / "rules.json"
INSTALL_HINT = (
    "install it with scripts/npm-tools autoconsent (npm), or point --autoconsent / "
    f"${AUTOCONSENT_ENV} at the folder of the {PACKAGE} package"
)

OPT_OUT = "optOut"
OPT_IN = "optIn"
BINDING = "autoconsentSendMessage"
REPLY_JS = "m => { window.autoconsentReceiveMessage && window.autoconsentReceiveMessage(m); }"
# autoconsent looks again on every DOM change; a banner that has not appeared this long after the
# scanner started looking (the page has loaded and settled by then) is not there for this visit.
# A consent manager found without an open banner gets as long again.
DETECT_WINDOW_S = 6.0
POPUP_GRACE_S = 6.0
RUN_TIMEOUT_S = 25.0  # detection, the clicks of a multi-layer banner and the self-test


@dataclass(frozen=True)
class Bundle:
    """The installed package: its content script and its declarative rules."""

    root: Path
    version: str
    script: str
    rules: tuple[dict[str, Any], ...]

    def describe(self) -> dict[str, Any]:
        return {"package": PACKAGE, "version": self.version, "rules": len(self.rules)}

    def rules_for(self, url: str, main_frame: bool) -> list[dict[str, Any]]:
        """The rules that can run in this frame: the generic ones plus those whose URL pattern
        matches. Sending all of them (0.7 MB) to every frame of every visit would cost more
        than the detection itself; autoconsent would discard the rest anyway."""
        return [r for r in self.rules if _runs_in(r, url, main_frame)]


def _runs_in(rule: dict[str, Any], url: str, main_frame: bool) -> bool:
    if rule.get("cosmetic"):  # hides a banner without answering it: no consent is set
        return False
    context = {"main": True, "frame": False, **(rule.get("runContext") or {})}
    if not context["main" if main_frame else "frame"]:
        return False
    pattern = context.get("urlPattern") or rule.get("urlPattern")
    if not pattern:
        return True
    try:
        return re.search(pattern, url) is not None
    except re.error:  # a JavaScript-only construct: let autoconsent decide in the page
        return True


def package_root(folder: Path) -> Path | None:
    """The package folder inside `folder`, which may be the package itself or an npm prefix."""
    for candidate in (folder, folder / "node_modules" / PACKAGE):
        if (candidate / CONTENT_SCRIPT).is_file():
            return candidate
    return None


def default_locations() -> list[Path]:
    """Where scripts/npm-tools installs it: under the current folder, else the checkout's."""
    checkout = PACKAGE_DIR.parents[1]
    return list(dict.fromkeys([Path.cwd() / TOOL_DIR, checkout / TOOL_DIR]))


def locate(explicit: str | None) -> tuple[Path | None, str | None]:
    """The package folder to use, or None and why not.

    A folder the user named (option or environment) that holds no package is an error, since
    the scan would silently drive consent differently than asked; a missing default install only
    means consent on other consent managers falls back to scan.yaml selectors.
    """
    named = explicit or os.environ.get(AUTOCONSENT_ENV)
    if named:
        where = "--autoconsent" if explicit else f"${AUTOCONSENT_ENV}"
        root = package_root(Path(named))
        if root is None:
            raise ConfigError(
                f"{where} {named}: no {PACKAGE} there (expected {CONTENT_SCRIPT} in it or in "
                f"node_modules/{PACKAGE}); {INSTALL_HINT}"
            )
        return root, None
    for folder in default_locations():
        root = package_root(folder)
        if root is not None:
            return root, None
    return None, f"{PACKAGE} is not installed; {INSTALL_HINT}"


def load(root: Path) -> Bundle:
    """Read the content script, the rules and the version; a broken install is a ConfigError."""
    try:
        script = (root / CONTENT_SCRIPT).read_text(encoding="utf-8")
        rules = json.loads((root / RULES).read_text(encoding="utf-8"))["autoconsent"]
        meta = json.loads((root / "package.json").read_text(encoding="utf-8"))
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ConfigError(
            f"{root}: not a usable {PACKAGE} install ({type(exc).__name__}: {exc}); {INSTALL_HINT}"
        ) from None
    if not isinstance(rules, list):
        raise ConfigError(f"{root / RULES}: expected a list under 'autoconsent'")
    return Bundle(root=root, version=str(meta.get("version", "?")), script=script,
                  rules=tuple(r for r in rules if isinstance(r, dict)))  # fmt: skip


@dataclass
class _Frame:
    frame: Any
    lifecycle: str = "loading"


@dataclass
class Session:
    """One run of autoconsent on one page: inject, let it find the banner, act, self-test."""

    bundle: Bundle
    action: str  # OPT_OUT | OPT_IN
    messages: list[dict[str, Any]] = field(default_factory=list)
    _inbox: list[tuple[Any, dict[str, Any]]] = field(default_factory=list)
    _instances: dict[str, _Frame] = field(default_factory=dict)
    _self_test_frame: Any = None
    _acted: bool = False
    _closed: bool = False

    def _on_message(self, source: dict[str, Any], message: Any) -> None:
        """Called by the page; only queued, so the page never waits on the scanner's replies."""
        if not self._closed and isinstance(message, dict):
            self._inbox.append((source["frame"], message))

    async def _inject(self, frame: Any) -> None:
        with contextlib.suppress(Exception):  # a frame detached meanwhile has no banner to answer
            await frame.evaluate(self.bundle.script)

    async def _reply(self, frame: Any, message: dict[str, Any]) -> None:
        with contextlib.suppress(Exception):
            await frame.evaluate(REPLY_JS, message)

    async def _handle(self, frame: Any, message: dict[str, Any]) -> None:
        kind = message.get("type")
        if kind != "eval" and kind != "report":
            self.messages.append(_brief(message))
        if kind == "init":
            main = frame.parent_frame is None
            config = {
                "enabled": True,
                # No automatic action: the scanner says opt in or out once a banner is open, in the
                # one frame that found it, and an instance still looking after the scanner gave
                # up can never click anything.
                "autoAction": None,
                "disabledCmps": [],
                "enablePrehide": False,
                "enableCosmeticRules": False,
                "enableGeneratedRules": True,
                "enableHeuristicDetection": False,
                "detectRetries": 20,
                "isMainWorld": False,
                "visualTest": False,
                "logs": {"errors": False},
            }
            rules = self.bundle.rules_for(frame.url, main)
            await self._reply(
                frame, {"type": "initResp", "config": config, "rules": {"autoconsent": rules}}
            )
        elif kind == "popupFound" and not self._acted:
            self._acted = True
            await self._reply(frame, {"type": self.action})
        elif kind == "eval":
            try:
                result = await frame.evaluate(message["code"])
            except Exception:  # a snippet for another consent manager's API: simply false
                result = False
            await self._reply(frame, {"id": message["id"], "type": "evalResp", "result": result})
        elif kind == "report":
            state = message.get("state") or {}
            known = self._instances.setdefault(str(message.get("instanceId")), _Frame(frame))
            known.lifecycle = str(state.get("lifecycle") or known.lifecycle)

    def _first(self, kind: str, **match: Any) -> dict[str, Any] | None:
        return next(
            (m for m in self.messages
             if m.get("type") == kind and all(m.get(k) == v for k, v in match.items())),
            None,
        )  # fmt: skip

    def _nothing_detected(self) -> bool:
        lifecycles = [f.lifecycle for f in self._instances.values()]
        return bool(lifecycles) and all(s == "nothingDetected" for s in lifecycles)

    async def run(self, page: Any, timeout_s: float) -> ConsentDriving:
        """Drive the banner; the outcome says what was found and whether the choice was made."""
        await page.expose_binding(BINDING, self._on_message)

        injections: set[asyncio.Task[None]] = set()

        def on_navigated(frame: Any) -> None:
            if not self._closed:
                task = asyncio.ensure_future(self._inject(frame))
                injections.add(task)
                task.add_done_callback(injections.discard)

        page.on("framenavigated", on_navigated)
        try:
            for frame in page.frames:
                await self._inject(frame)
            return await self._pump(page, timeout_s)
        finally:
            self._closed = True
            page.remove_listener("framenavigated", on_navigated)

    async def _pump(self, page: Any, timeout_s: float) -> ConsentDriving:
        result_type = "optOutResult" if self.action == OPT_OUT else "optInResult"
        started = time.monotonic()
        deadline = started + timeout_s
        detected_at: float | None = None
        self_test_asked = False
        note = None
        while True:
            while self._inbox:
                frame, message = self._inbox.pop(0)
                await self._handle(frame, message)
                if message.get("type") == result_type and message.get("scheduleSelfTest"):
                    self._self_test_frame = frame
            done = self._first("autoconsentDone")
            result = self._first(result_type)
            if done is not None and not self_test_asked:
                if self._self_test_frame is None:
                    break
                self_test_asked = True
                await self._reply(self._self_test_frame, {"type": "selfTest"})
            if self_test_asked and self._first("selfTestResult") is not None:
                break
            if result is not None and not result.get("result"):
                note = f"autoconsent could not {_verb(self.action)} on {result.get('cmp')}"
                break
            if self._first("cmpDetected") is None:
                if self._nothing_detected() or time.monotonic() > started + DETECT_WINDOW_S:
                    note = "autoconsent found no consent manager it has a rule for"
                    break
            elif detected_at is None:
                detected_at = time.monotonic()
            elif not self._first("popupFound") and time.monotonic() > detected_at + POPUP_GRACE_S:
                note = "autoconsent found the consent manager but no open banner"
                break
            if time.monotonic() > deadline:
                note = f"autoconsent did not finish within {timeout_s:g} s"
                break
            await asyncio.sleep(0.05)
        return self._outcome(note)

    def _outcome(self, note: str | None) -> ConsentDriving:
        result_type = "optOutResult" if self.action == OPT_OUT else "optInResult"
        detected = self._first("popupFound") or self._first("cmpDetected")
        done = self._first("autoconsentDone")
        test = self._first("selfTestResult")
        errors = [
            str((m.get("details") or {}).get("msg") or m.get("details"))
            for m in self.messages
            if m.get("type") == "autoconsentError"
        ]
        return ConsentDriving(
            method="autoconsent" if done is not None else None,
            cmp=detected.get("cmp") if detected else None,
            action=self.action,
            popup=self._first("popupFound") is not None,
            result=bool((self._first(result_type) or {}).get("result")) and done is not None,
            self_test=None if test is None else bool(test.get("result")),
            note=note,
            errors=sorted(set(errors)),
        )


def _verb(action: str) -> str:
    return "refuse" if action == OPT_OUT else "accept"


def _brief(message: dict[str, Any]) -> dict[str, Any]:
    """What a report may keep of a message: its kind, consent manager and result, no URLs."""
    return {k: message[k] for k in ("type", "cmp", "result", "scheduleSelfTest", "details")
            if k in message}  # fmt: skip
